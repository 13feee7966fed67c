// The SPDX 2.3 document of what xraybake adds to one platform of an image
// (OUT/sbom/<arch>.spdx.json, design.md "Supply chain"):
//
//   SPDXRef-Image            the platform image (purl pkg:oci/NAME@sha256:MANIFEST)
//     DESCENDANT_OF SPDXRef-Base   the base image, by its platform manifest's digest
//     CONTAINS SPDXRef-Package-<kind>   the agent's .deb: name and version from its
//                              control file, supplier = Maintainer, download location =
//                              the .deb's URL, its sha256, the license it declares
//     CONTAINS SPDXRef-Package-xraybake-init   the supervisor
//     CONTAINS the service (and app) layer's files
//   SPDXRef-Package-xraybake BUILD_TOOL_OF SPDXRef-Image
//
// Every file of the added layers is listed with its SHA-256 and SHA-1, and
// CONTAINED by the package whose layer holds it. Deterministic: `created`
// is the build's timestamp (SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00Z),
// and documentNamespace ends in the sha256 of the document written without it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "supply/layer_contents.h"

namespace xb::supply {

inline constexpr const char* kProjectUrl = "https://github.com/xraybake/xraybake";
inline constexpr const char* kSpdxNamespaceBase = "https://github.com/xraybake/xraybake/spdx/";

// The agent's .deb as the SBOM and the provenance describe it.
struct DebPackage {
  std::string name;        // control Package:
  std::string version;     // control Version:
  std::string maintainer;  // control Maintainer: "Name <mail>"
  std::string vendor;      // control Vendor: (AWS's packages have one); empty: none
  std::string homepage;    // control Homepage:
  std::string summary;     // control Description:'s first line
  std::string license;     // what the package declares (deb/copyright.h); empty: not stated
  std::string url;         // where it was downloaded from (redacted)
  std::string sha256;      // hex
  uint64_t size = 0;
};

struct SbomLayer {
  enum class Role { agent, supervisor, service, app };
  Role role = Role::service;
  std::string file;    // relative to OUT: "layers/xray-daemon-amd64.tar.gz"
  std::string digest;  // "sha256:..." of the tarball
  std::vector<LayerFileInfo> files;
};

struct SbomInput {
  std::string image_name;       // service.tag: "orders-api:1.4.2"
  std::string platform;         // "linux/amd64"
  std::string manifest_digest;  // the platform manifest's "sha256:..."
  std::string base_name;        // service.base as written
  std::string base_digest;      // the base's platform manifest "sha256:..."
  std::string created;          // RFC 3339
  std::string xraybake_version;
  std::string agent_kind;       // "xray-daemon": SPDXRef-Package-<kind>
  DebPackage agent;
  std::vector<SbomLayer> layers;  // the added layers, in the image's order
};

// The document (keys in SPDX's usual order), namespace included.
nlohmann::ordered_json spdx_document(const SbomInput& in);

// "amd64" of "linux/amd64" (and of "linux/arm64/v8": "arm64").
std::string arch_of(const std::string& platform);

// "Organization: Name (mail)" from a Maintainer "Name <mail>"; NOASSERTION when empty.
std::string spdx_supplier(const std::string& maintainer);

// LICENSE when it is an SPDX license expression of well-known identifiers
// ("Apache-2.0", "MIT OR Apache-2.0"), else NOASSERTION (never a guess).
std::string spdx_license(const std::string& license);

// pkg:oci/NAME@sha256%3AHEX?arch=ARCH[&repository_url=R][&tag=T] for the
// image reference REF ("registry/path/name:tag", or "oci:DIR[:TAG]").
std::string oci_purl(const std::string& ref, const std::string& digest, const std::string& arch);

}  // namespace xb::supply
