#include "oci/layout.h"

#include "oci/artifact_writer.h"
#include "oci/digest.h"
#include "oci/media_types.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

[[noreturn]] void bad_layout(const std::string& noun, const std::filesystem::path& dir, const std::string& what) {
  fail_input(noun + " " + dir.string() + ": " + what,
             "name an OCI image layout (oci-layout, index.json, blobs/), e.g. made by "
             "`skopeo copy docker://IMAGE oci:DIR:TAG` or `umoci init`");
}

}  // namespace

LayoutReference parse_layout_reference(std::string_view text) {
  if (is_layout_reference(text)) text.remove_prefix(4);
  LayoutReference ref;
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find('/', colon) == std::string_view::npos) {
    ref.tag = std::string(text.substr(colon + 1));
    text = text.substr(0, colon);
  }
  ref.dir = std::string(text);
  return ref;
}

std::filesystem::path blob_path(const std::filesystem::path& dir, const std::string& digest) {
  if (!is_digest(digest)) bad_layout("image layout", dir, "unsupported or malformed digest '" + digest + "'");
  return dir / "blobs" / "sha256" / digest.substr(kSha256Prefix.size());
}

nlohmann::json read_index(const std::filesystem::path& dir, const std::string& noun) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "index.json", ec))
    bad_layout(noun, dir, std::filesystem::is_directory(dir, ec) ? "no index.json: not an OCI image layout" : "no such directory");
  nlohmann::json index = nlohmann::json::parse(read_file(dir / "index.json"), nullptr, false);
  if (index.is_discarded() || !index.is_object()) bad_layout(noun, dir, "index.json is not a JSON object");
  if (!index.contains("manifests") || !index["manifests"].is_array()) bad_layout(noun, dir, "index.json has no manifests list");
  return index;
}

nlohmann::json find_tagged(const std::filesystem::path& dir, const nlohmann::json& index, const std::string& tag,
                           const std::string& noun) {
  const auto& manifests = index.value("manifests", nlohmann::json::array());
  const std::string want = tag.empty() ? "latest" : tag;
  std::string have;
  for (const auto& m : manifests) {
    if (!m.is_object()) bad_layout(noun, dir, "index.json: a manifests entry is not an object");
    for (const char* key : {"mediaType", "digest"})
      if (m.contains(key) && !m[key].is_string()) bad_layout(noun, dir, std::string("index.json: a manifests entry's ") + key + " is not a string");
    if (m.contains("annotations") && (!m["annotations"].is_object() ||
                                      (m["annotations"].contains(kRefNameAnnotation) && !m["annotations"][kRefNameAnnotation].is_string())))
      bad_layout(noun, dir, "index.json: a manifests entry's annotations are not string values");
    std::string name = ref_name(m);
    if (name == want) return m;
    if (!name.empty() && !is_referrers_tag(name)) have += (have.empty() ? "" : ", ") + name;
  }
  // Artifacts (an artifactType) and the referrers indexes that list them (a
  // sha256-<hex> tag: artifact_writer.h) are about an image, not one.
  const nlohmann::json* only = nullptr;
  size_t images = 0;
  for (const auto& m : manifests)
    if (!m.contains("artifactType") && !is_referrers_tag(ref_name(m)))
      ++images, only = &m;
  if (tag.empty() && images == 1) return *only;
  bad_layout(noun, dir, "no image tagged '" + want + "'" + (have.empty() ? " (it has no tags)" : " (it has: " + have + ")"));
}

void write_index(const std::filesystem::path& dir, const nlohmann::json& entry) {
  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", kIndex}, {"manifests", nlohmann::json::array({entry})}};
  write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write_file_atomic(dir / "index.json", index.dump());
}

void write_layout_index(const std::filesystem::path& dir, nlohmann::json descriptor, const std::string& tag) {
  descriptor["annotations"][kRefNameAnnotation] = tag;
  write_index(dir, descriptor);
}

}  // namespace xb::oci
