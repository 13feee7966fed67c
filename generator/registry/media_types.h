// Manifest media types of the OCI image spec and of Docker's schema 2.
#pragma once

#include <string_view>

namespace xb::registry::media {

inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";

inline bool is_index(std::string_view t) { return t == oci_index || t == docker_list; }
inline bool is_manifest(std::string_view t) { return t == oci_manifest || t == docker_manifest; }

// What a client accepts when it asks for a manifest by tag or digest.
inline constexpr std::string_view accept_header =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

}  // namespace xb::registry::media
