// xraybake inspect: what an image is, read from any ImageSource (a build's
// OUT/oci, a layout, a registry) without downloading a layer: its platforms,
// each one's layers (the base's, and what xraybake added), the agent and
// xraybake versions its config labels name, and the SBOM and provenance
// attached to it as OCI 1.1 referrers.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "oci/image_source.h"

namespace xb::inspect {

// The report (what `inspect --json` prints):
//   {"reference", "digest", "mediaType",
//    "platforms": [{"platform", "manifest": {digest,size}, "config": {digest,size}, "created",
//                   "xraybake_version" | null, "agent": {kind, version, deb_url, deb_sha256} | null,
//                   "layers": [{digest, size, mediaType, created_by, xraybake}], "size",
//                   "referrers": {"source", "artifacts": [{artifactType, digest, size (the artifact manifest's), title, document_size, annotations}]}}]}
nlohmann::ordered_json inspect_image(oci::ImageSource& source);

// The report for a person: one block per platform.
std::string report_text(const nlohmann::ordered_json& report);

}  // namespace xb::inspect
