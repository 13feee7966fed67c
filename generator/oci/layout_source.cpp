#include "oci/layout_source.h"

#include "oci/artifact_writer.h"
#include "oci/digest.h"
#include "oci/layout.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::oci {

LayoutSource::LayoutSource(std::filesystem::path dir, std::string tag)
    : dir_(std::move(dir)), tag_(std::move(tag)), index_(read_index(dir_)) {}

std::string LayoutSource::describe() const { return "oci:" + dir_.string() + (tag_.empty() ? "" : ":" + tag_); }

Document LayoutSource::root() {
  nlohmann::json entry = find_tagged(dir_, index_, tag_);
  if (tag_.empty()) tag_ = ref_name(entry);  // the only image: describe() names its tag
  Document d = manifest(entry.at("digest"), entry.value("size", int64_t{-1}));
  if (d.media_type.empty()) d.media_type = entry.value("mediaType", "");
  return d;
}

Document LayoutSource::blob(const std::string& digest, int64_t size) {
  const std::filesystem::path path = blob_path(dir_, digest);
  std::error_code ec;
  const auto actual_size = std::filesystem::file_size(path, ec);
  if (ec)
    fail_input("image layout " + dir_.string() + ": blob " + digest + " is missing (" + path.string() + ")",
               "copy the layout again whole (skopeo copy --all oci:SRC oci:DST)");
  if (size >= 0 && actual_size != static_cast<uint64_t>(size))
    fail_input("image layout " + dir_.string() + ": blob " + digest + " is " + std::to_string(actual_size) +
               " bytes; its descriptor says " + std::to_string(size));
  if (actual_size > kDocumentLimit)
    fail_input("image layout " + dir_.string() + ": blob " + digest + " is " + std::to_string(actual_size) +
               " bytes, more than the 4 MiB a manifest, an index or a config may be");
  Document d{read_file(path), "", digest};
  if (digest_of(d.body) != digest)
    fail_input("image layout " + dir_.string() + ": blob " + digest + " does not match its digest (" + path.string() + ")");
  nlohmann::json j = nlohmann::json::parse(d.body, nullptr, false);
  if (j.is_object()) d.media_type = j.value("mediaType", "");
  return d;
}

nlohmann::json LayoutSource::referrers(const std::string& subject, std::string& how) {
  const std::string tag = referrers_tag(subject);
  how = "the " + tag + " entry of " + (dir_ / "index.json").string();
  for (const auto& e : index_["manifests"]) {
    if (!e.is_object() || ref_name(e) != tag) continue;
    nlohmann::json doc = nlohmann::json::parse(manifest(e.at("digest"), e.value("size", int64_t{-1})).body, nullptr, false);
    if (!doc.is_object() || !doc.contains("manifests") || !doc["manifests"].is_array())
      fail_input("image layout " + dir_.string() + ": " + tag + " (the referrers of " + subject + ") is not an image index");
    return doc;
  }
  return referrers_index({});
}

}  // namespace xb::oci
