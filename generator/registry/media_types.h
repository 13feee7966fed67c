// Manifest media types of the OCI image spec and of Docker's schema 2: the
// same constants the OCI layout code uses (oci/media_types.h), under the
// names the registry client reads them by.
#pragma once

#include <string_view>

#include "oci/media_types.h"

namespace xb::registry::media {

inline constexpr std::string_view oci_index = oci::kIndex;
inline constexpr std::string_view oci_manifest = oci::kManifest;
inline constexpr std::string_view docker_list = oci::kDockerManifestList;
inline constexpr std::string_view docker_manifest = oci::kDockerManifest;

using oci::is_index;
using oci::is_manifest;

// What a client accepts when it asks for a manifest by tag or digest.
inline constexpr std::string_view accept_header =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

}  // namespace xb::registry::media
