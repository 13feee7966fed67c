#include "oci/artifact_writer.h"

#include "oci/digest.h"
#include "oci/layout.h"
#include "oci/media_types.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::oci {

nlohmann::json empty_descriptor() {
  return {{"mediaType", kEmptyMediaType}, {"digest", digest_of(kEmptyJson)}, {"size", kEmptyJson.size()}};
}

nlohmann::json put_artifact(LayoutWriter& layout, const Artifact& a) {
  if (a.artifact_type.empty()) fail_runtime("internal: an artifact without an artifactType");
  for (const char* key : {"mediaType", "digest", "size"})
    if (!a.subject.contains(key)) fail_runtime(std::string("internal: an artifact's subject without ") + key);
  const std::string empty_digest = digest_of(kEmptyJson);
  if (!std::filesystem::exists(blob_path(layout.dir(), empty_digest)))
    write_file(blob_path(layout.dir(), empty_digest), std::string(kEmptyJson));
  const std::string doc_digest = digest_of(a.content);
  if (!std::filesystem::exists(blob_path(layout.dir(), doc_digest))) write_file(blob_path(layout.dir(), doc_digest), a.content);
  nlohmann::json layer = {{"mediaType", a.media_type.empty() ? a.artifact_type : a.media_type},
                          {"digest", doc_digest},
                          {"size", a.content.size()}};
  if (!a.title.empty()) layer["annotations"] = {{kTitleAnnotation, a.title}};
  nlohmann::json subject = {{"mediaType", a.subject["mediaType"]}, {"digest", a.subject["digest"]}, {"size", a.subject["size"]}};
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", kManifest},
                             {"artifactType", a.artifact_type},
                             {"config", empty_descriptor()},
                             {"layers", nlohmann::json::array({layer})},
                             {"subject", subject}};
  if (!a.annotations.empty()) manifest["annotations"] = a.annotations;
  nlohmann::json entry = layout.put_json(manifest, std::string(kManifest)).descriptor();
  entry["artifactType"] = a.artifact_type;
  if (!a.annotations.empty()) entry["annotations"] = a.annotations;
  return entry;
}

std::string referrers_tag(const std::string& subject_digest) {
  if (!is_digest(subject_digest)) fail_runtime("internal: a referrers tag for '" + subject_digest + "', not a sha256 digest");
  return "sha256-" + subject_digest.substr(kSha256Prefix.size());
}

bool is_referrers_tag(std::string_view name) {
  return name.starts_with("sha256-") && is_sha256_hex(name.substr(7));
}

nlohmann::json referrers_index(const std::vector<nlohmann::json>& artifacts) {
  return {{"schemaVersion", 2}, {"mediaType", kIndex}, {"manifests", artifacts}};
}

nlohmann::json put_referrers(LayoutWriter& layout, const std::string& subject_digest,
                             const std::vector<nlohmann::json>& artifacts) {
  const std::string tag = referrers_tag(subject_digest);
  nlohmann::json entry = layout.put_json(referrers_index(artifacts), std::string(kIndex)).descriptor();
  entry["annotations"] = {{kRefNameAnnotation, tag}};
  return entry;
}

void append_new_entries(nlohmann::json& manifests, const nlohmann::json& entries) {
  for (const auto& e : entries) {
    bool there = false;
    for (const auto& m : manifests) there = there || m.value("digest", "") == e.value("digest", "");
    if (!there) manifests.push_back(e);
  }
}

void add_index_entries(const std::filesystem::path& dir, const std::vector<nlohmann::json>& entries) {
  nlohmann::json index = read_index(dir);
  append_new_entries(index["manifests"], entries);
  write_file_atomic(dir / "index.json", index.dump());
}

bool is_artifact_entry(const nlohmann::json& entry) {
  return entry.is_object() && entry.contains("artifactType");
}

}  // namespace xb::oci
