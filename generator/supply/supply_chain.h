// The supply-chain outputs of a build, once OUT/layers and OUT/oci are
// written: OUT/sbom/<arch>.spdx.json per platform (spdx.h),
// OUT/provenance.json (provenance.h), and both attached in OUT/oci as OCI
// 1.1 artifacts whose subject is the platform manifest (oci/artifact_writer.h):
// per platform one application/spdx+json and one application/vnd.in-toto+json
// artifact (the same provenance document for each platform).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "supply/spdx.h"

namespace xb::supply {

inline constexpr const char* kSpdxArtifactType = "application/spdx+json";
inline constexpr const char* kInTotoArtifactType = "application/vnd.in-toto+json";
inline constexpr const char* kProvenanceFile = "provenance.json";

struct SupplyLayer {
  SbomLayer::Role role = SbomLayer::Role::service;
  std::string file;    // relative to OUT
  std::string digest;  // "sha256:..."
  // Its files when already known (a layer left in a registry, listed by
  // xraybake.lock); nullopt: read from OUT/FILE.
  std::optional<std::vector<LayerFileInfo>> files;
};

struct SupplyPlatform {
  std::string platform;       // "linux/amd64"
  nlohmann::json manifest;    // the platform manifest's descriptor (mediaType, digest, size)
  std::string base_digest;    // the base's platform manifest
  std::vector<SupplyLayer> layers;  // the added ones, in order
  std::filesystem::path deb;  // the agent's .deb (verified, in the cache); unread when AGENT is set
  std::optional<DebPackage> agent;  // what the .deb says, when already known (read_deb_package)
  std::string deb_url;
  std::string deb_sha256;     // hex
  uint64_t deb_size = 0;
};

struct SupplyInput {
  std::filesystem::path out_dir;   // OUT: layers/ and oci/ are there
  std::string image_name;          // service.tag
  std::string base_name;           // service.base
  std::string descriptor_path;     // as given
  std::string agent_kind;
  std::string created;             // RFC 3339 of SOURCE_DATE_EPOCH
  int64_t source_date_epoch = 0;
  std::string index_digest;        // the image index
  std::vector<SupplyPlatform> platforms;
};

// Writes the documents and the artifacts; returns what build.json says of
// them: {"sbom": {PLATFORM: {"file", "digest", "artifact"}}, "provenance":
// {"file", "digest", "artifacts": [...]}}. Throws xb::Error.
nlohmann::json write_supply_chain(const SupplyInput& in);

// The agent's .deb DEB as the SBOM and the provenance name it: its control
// file's facts, and URL, SHA256 (hex) and SIZE as given. Throws xb::Error.
DebPackage read_deb_package(const std::filesystem::path& deb, const std::string& url, const std::string& sha256,
                            uint64_t size);

// "sbom/amd64.spdx.json" for "linux/amd64" (relative to OUT).
std::string sbom_file(const std::string& platform);

}  // namespace xb::supply
