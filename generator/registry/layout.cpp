#include "registry/layout.h"

#include "util/error.h"
#include "util/fs.h"

namespace xb::registry {

fs::path layout_blob(const fs::path& dir, const std::string& digest) {
  auto colon = digest.find(':');
  if (colon == std::string::npos) fail_input("malformed digest \"" + digest + "\" in " + dir.string());
  return dir / "blobs" / digest.substr(0, colon) / digest.substr(colon + 1);
}

nlohmann::json find_tagged(const fs::path& dir, const std::string& tag) {
  fs::path index_path = dir / "index.json";
  if (!fs::exists(index_path))
    fail_input(dir.string() + " is not an OCI image layout (no index.json)", "build the image first");
  nlohmann::json index = nlohmann::json::parse(read_file(index_path), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
    fail_input(index_path.string() + ": not an OCI image index");
  const auto& entries = index["manifests"];
  std::string tags;
  for (const auto& e : entries) {
    std::string name = e.value("annotations", nlohmann::json::object()).value(kRefNameAnnotation, "");
    if (!tag.empty() && name == tag) return e;
    tags += (tags.empty() ? "" : ", ") + (name.empty() ? std::string("(untagged)") : name);
  }
  if (tag.empty() && entries.size() == 1) return entries[0];
  fail_input("no image tagged \"" + tag + "\" in " + index_path.string() + " (it has: " +
                 (tags.empty() ? "nothing" : tags) + ")",
             "name one of those tags");
}

void write_layout_index(const fs::path& dir, nlohmann::json descriptor, const std::string& tag) {
  descriptor["annotations"][kRefNameAnnotation] = tag;
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", nlohmann::json::array({descriptor})}};
  write_file_atomic(dir / "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  write_file_atomic(dir / "index.json", index.dump());
}

}  // namespace xb::registry
