// Reading a base image from a local OCI image layout (index.json, blobs/):
// the entry tagged TAG, an image index (OCI or Docker manifest list) or a
// single manifest, and for each requested platform its manifest and config.
// A registry base is first pulled into a layout, then read the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xb::oci {

struct BasePlatform {
  std::string platform;          // "linux/amd64"
  nlohmann::json platform_json;  // {"architecture": "amd64", "os": "linux", ...}
  std::string manifest_digest;   // "sha256:..."
  nlohmann::json manifest;
  nlohmann::json config;
  std::vector<nlohmann::json> layers;  // the manifest's layer descriptors
};

struct BaseImage {
  std::filesystem::path dir;
  std::string tag;
  std::string top_digest;              // what the tag points at (index or manifest)
  std::vector<BasePlatform> platforms;  // in the order requested
};

// TAG empty: "latest", or the layout's only image when it has one untagged.
// Throws xb::Error(bad_input) when the layout, the tag or a platform is missing
// (naming what there is) or a blob does not match its digest.
BaseImage read_base_image(const std::filesystem::path& dir, const std::string& tag,
                          const std::vector<std::string>& platforms);


// "linux/arm64/v8" from {"os": "linux", "architecture": "arm64", "variant": "v8"}.
std::string platform_string(const nlohmann::json& platform);

}  // namespace xb::oci
