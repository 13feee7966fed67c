// service.base as the local OCI layout the image builder reads: an
// oci:DIR[:TAG] base as written, a registry reference pulled into the cache
// first (registry/pull.h), so both are read by the same code.
#pragma once

#include "descriptor/descriptor.h"
#include "build/build_outputs.h"
#include "registry/options.h"

namespace xb::build {

// Throws xb::Error naming the descriptor's service.base when the pull fails.
BaseLayout base_layout(const Descriptor& desc, const registry::RegistryOptions& options);

}  // namespace xb::build
