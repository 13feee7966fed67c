// The media types xraybake reads (OCI and Docker) and writes (OCI only).
#pragma once

#include <string>
#include <string_view>

namespace xb::oci {

inline constexpr std::string_view kIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

inline bool is_index(std::string_view t) { return t == kIndex || t == kDockerManifestList; }
inline bool is_manifest(std::string_view t) { return t == kManifest || t == kDockerManifest; }

// A base layer's media type in an OCI manifest: Docker's types have OCI
// equivalents with the same bytes.
inline std::string oci_layer_type(std::string_view t) {
  if (t == "application/vnd.docker.image.rootfs.diff.tar.gzip") return std::string(kLayerGzip);
  if (t == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
    return "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  return std::string(t);
}

}  // namespace xb::oci
