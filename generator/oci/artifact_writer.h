// OCI 1.1 artifacts in an image layout: an image manifest whose
// artifactType says what it is, whose config is the empty descriptor
// ({} as application/vnd.oci.empty.v1+json), whose one layer is the document,
// and whose `subject` is the manifest it is about (what the referrers API
// and the `sha256-<hex>` referrers tag are built from).
//
// In index.json artifacts are listed after the image, with their
// artifactType and without org.opencontainers.image.ref.name, as oras-go
// writes them: tools that pick an image by tag (skopeo, umoci) never see
// them, and find_tagged() skips them when no tag is asked for.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "oci/layout_writer.h"

namespace xb::oci {

inline constexpr std::string_view kEmptyMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kEmptyJson = "{}";
inline constexpr std::string_view kTitleAnnotation = "org.opencontainers.image.title";

struct Artifact {
  std::string artifact_type;   // "application/spdx+json"
  std::string media_type;      // the document's, usually artifact_type
  std::string content;         // the document's bytes, as they are
  std::string title;           // the layer's org.opencontainers.image.title ("amd64.spdx.json"); empty: none
  nlohmann::json subject;      // the descriptor of the manifest it is about (mediaType, digest, size)
  std::map<std::string, std::string> annotations;  // the manifest's (e.g. org.opencontainers.image.created)
};

// The empty descriptor: {"mediaType": kEmptyMediaType, "digest": sha256 of "{}", "size": 2}.
nlohmann::json empty_descriptor();

// Writes the empty blob, the document and the artifact's manifest into LAYOUT.
// Returns the manifest's descriptor with its artifactType (an index entry).
nlohmann::json put_artifact(LayoutWriter& layout, const Artifact& artifact);

// Appends ENTRIES to DIR/index.json (atomically), after what it lists; an
// entry already there (same digest) is not listed twice.
void add_index_entries(const std::filesystem::path& dir, const std::vector<nlohmann::json>& entries);

// Whether an index.json entry is an artifact rather than an image (it has an artifactType).
bool is_artifact_entry(const nlohmann::json& entry);

}  // namespace xb::oci
