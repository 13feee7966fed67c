// service.base as the local OCI layout the image builder reads: an
// oci:DIR[:TAG] base as written, a registry reference pulled into the cache
// first (registry/pull.h), so both are read by the same code. Every layer
// blob the build will link or copy into OUT/oci is checked first: a plain
// file (a symbolic link is refused) whose size and sha256 are its descriptor's.
#pragma once

#include <string>
#include <vector>

#include "descriptor/descriptor.h"
#include "build/build_outputs.h"
#include "oci/base_image.h"
#include "registry/options.h"

namespace xb::build {

// Throws xb::Error naming the descriptor's service.base when the pull fails,
// and bad_input naming every blob that is a symlink, missing or not its digest.
BaseLayout base_layout(const Descriptor& desc, const registry::RegistryOptions& options);

// The base image of LAYOUT for PLATFORMS (oci/base_image.h), read once per
// process: a build reads it to check its blobs and again to build on it, and a
// fleet reads its local bases before it forks (its builds inherit them).
// Throws as oci::read_base_image; a failure is not remembered.
const oci::BaseImage& base_image(const BaseLayout& layout, const std::vector<std::string>& platforms);

// The layer blobs of LAYOUT for PLATFORMS, checked as above; WHAT names the
// base in messages.
void verify_base_blobs(const BaseLayout& layout, const std::vector<std::string>& platforms, const std::string& what);

}  // namespace xb::build
