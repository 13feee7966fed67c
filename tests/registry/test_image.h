// Writes small OCI image layouts for registry tests: an index with one
// manifest per platform, each with a config and the given layer bytes.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/sha256.h"

namespace xb::regtest {

struct TestImage {
  std::string index_digest;                  // what index.json's tagged entry points to
  std::vector<std::string> manifest_digests; // one per platform
  uint64_t layer_bytes = 0;                  // sum of the layer sizes of one platform
};

// Pseudo-random, incompressible-looking bytes: a distinct layer per SEED.
inline std::string test_bytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

inline std::string put_blob(const std::filesystem::path& dir, const std::string& bytes) {
  std::string hex = sha256_hex(bytes);
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  std::ofstream(dir / "blobs" / "sha256" / hex, std::ios::binary) << bytes;
  return "sha256:" + hex;
}

// LAYERS are the same for every platform (like the daemon layer is per arch
// in real images, that does not matter to a registry).
inline TestImage make_test_image(const std::filesystem::path& dir, const std::string& tag,
                                 const std::vector<std::string>& layers,
                                 const std::vector<std::string>& platforms = {"linux/amd64"}) {
  using nlohmann::json;
  TestImage img;
  json index = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"manifests", json::array()}};
  for (const auto& p : platforms) {
    std::string arch = p.substr(p.find('/') + 1);
    json layer_descs = json::array(), diff_ids = json::array();
    img.layer_bytes = 0;
    for (const auto& l : layers) {
      std::string d = put_blob(dir, l);
      layer_descs.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", l.size()}});
      diff_ids.push_back(d);
      img.layer_bytes += l.size();
    }
    json config = {{"architecture", arch}, {"os", "linux"}, {"config", {{"Cmd", {"/bin/true"}}}},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    std::string config_bytes = config.dump();
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                 {"digest", put_blob(dir, config_bytes)}, {"size", config_bytes.size()}}},
                     {"layers", layer_descs}};
    std::string manifest_bytes = manifest.dump();
    std::string md = put_blob(dir, manifest_bytes);
    img.manifest_digests.push_back(md);
    index["manifests"].push_back({{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", md},
                                  {"size", manifest_bytes.size()},
                                  {"platform", {{"architecture", arch}, {"os", "linux"}}}});
  }
  std::string index_bytes = index.dump();
  img.index_digest = put_blob(dir, index_bytes);
  json top = {{"schemaVersion", 2}, {"manifests", json::array({{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                                                                 {"digest", img.index_digest},
                                                                 {"size", index_bytes.size()},
                                                                 {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}})}};
  std::ofstream(dir / "index.json") << top.dump();
  std::ofstream(dir / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  return img;
}

}  // namespace xb::regtest
