// OCI 1.1 artifacts in an image layout: an image manifest whose
// artifactType says what it is, whose config is the empty descriptor
// ({} as application/vnd.oci.empty.v1+json), whose one layer is the document,
// and whose `subject` is the manifest it is about (what the referrers API
// and the `sha256-<hex>` referrers tag are built from).
//
// In index.json an image's referrers are found the way the distribution
// spec 1.1 finds them in a registry without the referrers API: after the
// image, one image index per subject tagged `sha256-<hex of the subject>`
// (the referrers tag schema), listing the artifact manifests with their
// artifactType and annotations, as the referrers API answers. The same index
// is what `--push` sends as that tag when a registry has no referrers API,
// and `skopeo copy oci:OUT/oci:sha256-<hex> ...` copies it. Tools that pick
// an image by tag (skopeo, umoci, oci-image-tool --ref) never see the
// artifacts, and find_tagged() skips referrers tags when no tag is asked for.
// (One entry per subject, not one per artifact: oci-image-tool 1.0's --ref
// filter skips the entry after each one it drops, so more than one untagged
// or differently tagged entry after the image made it fail "not unique".)
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
// Returns the manifest's descriptor with its artifactType and annotations
// (as the referrers API lists it).
nlohmann::json put_artifact(LayoutWriter& layout, const Artifact& artifact);

// "sha256-<hex>" for a subject "sha256:<hex>": the referrers tag schema.
std::string referrers_tag(const std::string& subject_digest);
// Whether a ref.name is a referrers tag (sha256- and 64 lower-case hex).
bool is_referrers_tag(std::string_view name);

// The referrers of one subject as the referrers API answers them: an image
// index whose manifests are ARTIFACTS (put_artifact's descriptors).
nlohmann::json referrers_index(const std::vector<nlohmann::json>& artifacts);
// Writes referrers_index(ARTIFACTS) into LAYOUT; returns its index.json
// entry, tagged referrers_tag(SUBJECT_DIGEST).
nlohmann::json put_referrers(LayoutWriter& layout, const std::string& subject_digest,
                             const std::vector<nlohmann::json>& artifacts);

// Appends to MANIFESTS (an index's list) each of ENTRIES whose digest it does not list yet.
void append_new_entries(nlohmann::json& manifests, const nlohmann::json& entries);

// Appends ENTRIES to DIR/index.json (atomically), after what it lists; an
// entry already there (same digest) is not listed twice.
void add_index_entries(const std::filesystem::path& dir, const std::vector<nlohmann::json>& entries);

// Whether an index.json entry is an artifact rather than an image (it has an artifactType).
bool is_artifact_entry(const nlohmann::json& entry);

}  // namespace xb::oci
