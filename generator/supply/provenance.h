// OUT/provenance.json: an in-toto Statement v1 whose predicate is SLSA
// provenance v1 (design.md "Supply chain"):
//
//   subject        the image index (name: the image reference) and each
//                  platform manifest (name: "REF linux/amd64"), by sha256
//   buildType      https://github.com/xraybake/xraybake/buildtypes/v1
//                  (docs/supply-chain.md says what its parameters mean)
//   externalParameters    the descriptor (path as given, sha256), the platforms, the tag
//   internalParameters    SOURCE_DATE_EPOCH, the agent kind
//   resolvedDependencies  each agent .deb (URL, sha256) and the base image
//                  (service.base, each platform manifest by sha256)
//   runDetails.builder.id https://github.com/xraybake/xraybake@v<version>
//
// Deterministic: nothing about the run (no start time, no host) goes in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xb::supply {

inline constexpr const char* kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char* kSlsaProvenanceType = "https://slsa.dev/provenance/v1";
inline constexpr const char* kBuildType = "https://github.com/xraybake/xraybake/buildtypes/v1";

struct ProvenancePlatform {
  std::string platform;         // "linux/amd64"
  std::string manifest_digest;  // "sha256:..."
  std::string base_digest;      // the base's platform manifest
  std::string deb_url;
  std::string deb_sha256;       // hex
  std::string deb_package;      // "xray"
  std::string deb_version;
};

struct ProvenanceInput {
  std::string image_name;         // "orders-api:1.4.2"
  std::string index_digest;       // "sha256:..."
  std::string descriptor_path;    // as given on the command line
  std::string descriptor_sha256;  // hex of its bytes
  std::string base_name;          // service.base
  std::string agent_kind;
  int64_t source_date_epoch = 0;
  std::string xraybake_version;
  std::vector<ProvenancePlatform> platforms;
};

nlohmann::ordered_json provenance_statement(const ProvenanceInput& in);

}  // namespace xb::supply
