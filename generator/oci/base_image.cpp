#include "oci/base_image.h"

#include <fstream>

#include "oci/digest.h"
#include "oci/layout.h"
#include "oci/media_types.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

constexpr uint64_t kMaxJsonBlob = 4 << 20;

[[noreturn]] void bad_layout(const std::filesystem::path& dir, const std::string& what) {
  fail_input("base image " + dir.string() + ": " + what,
             "name an OCI image layout (oci-layout, index.json, blobs/), e.g. made by "
             "`skopeo copy docker://IMAGE oci:DIR:TAG` or `umoci init`");
}

nlohmann::json parse_json(const std::filesystem::path& dir, const std::string& text, const std::string& what) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) bad_layout(dir, what + " is not a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    bad_layout(dir, what + " is not valid JSON: " + e.what());
  }
}

// A JSON blob named by DESC, its size and digest checked.
nlohmann::json read_json_blob(const std::filesystem::path& dir, const nlohmann::json& desc) {
  std::string digest = desc.value("digest", "");
  auto path = blob_path(dir, digest);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) bad_layout(dir, "blob " + digest + " is missing");
  if (size > kMaxJsonBlob) bad_layout(dir, "blob " + digest + " is too large for a manifest or config");
  std::string text = read_file(path);
  if (desc.contains("size") && desc["size"].is_number_unsigned() && desc["size"].get<uint64_t>() != text.size())
    bad_layout(dir, "blob " + digest + " has " + std::to_string(text.size()) + " bytes, its descriptor says " +
                        desc["size"].dump());
  if (digest_of(text) != digest) bad_layout(dir, "blob " + digest + " does not match its digest");
  return parse_json(dir, text, "blob " + digest);
}

std::string arch_of(std::string_view platform) {
  auto slash = platform.find('/');
  std::string_view rest = slash == std::string_view::npos ? platform : platform.substr(slash + 1);
  return std::string(rest.substr(0, rest.find('/')));
}

bool matches(const nlohmann::json& p, const std::string& platform) {
  if (!p.is_object() || p.value("os", "") != "linux" || p.value("architecture", "") != arch_of(platform)) return false;
  // arm64 images are v8 whether or not they say so.
  std::string variant = p.value("variant", "");
  return variant.empty() || variant == "v8" || arch_of(platform) != "arm64";
}

BasePlatform load_platform(const std::filesystem::path& dir, const nlohmann::json& desc, const std::string& platform) {
  BasePlatform p;
  p.platform = platform;
  p.manifest_digest = desc.value("digest", "");
  p.manifest = read_json_blob(dir, desc);
  if (!p.manifest.contains("config") || !p.manifest["config"].is_object())
    bad_layout(dir, "manifest " + p.manifest_digest + " has no config");
  p.config = read_json_blob(dir, p.manifest["config"]);
  for (const auto& l : p.manifest.value("layers", nlohmann::json::array())) p.layers.push_back(l);
  p.platform_json = {{"architecture", p.config.value("architecture", "")}, {"os", p.config.value("os", "")}};
  if (p.config.contains("variant")) p.platform_json["variant"] = p.config["variant"];
  if (desc.contains("platform") && desc["platform"].is_object()) p.platform_json = desc["platform"];
  auto diff_ids = p.config.value("rootfs", nlohmann::json::object()).value("diff_ids", nlohmann::json::array());
  if (diff_ids.size() != p.layers.size())
    bad_layout(dir, "manifest " + p.manifest_digest + " has " + std::to_string(p.layers.size()) +
                        " layers but its config lists " + std::to_string(diff_ids.size()) + " diff_ids");
  return p;
}

}  // namespace

std::string platform_string(const nlohmann::json& platform) {
  std::string out = platform.value("os", "?") + "/" + platform.value("architecture", "?");
  if (platform.contains("variant") && platform["variant"].is_string()) out += "/" + platform["variant"].get<std::string>();
  return out;
}

namespace {

BaseImage read_checked(const std::filesystem::path& dir, const std::string& tag, const std::vector<std::string>& platforms) {
  BaseImage base;
  base.dir = dir;
  base.tag = tag.empty() ? "latest" : tag;
  auto top = find_tagged(dir, tag, "base image");
  base.top_digest = top.value("digest", "");
  std::string type = top.value("mediaType", "");

  if (is_manifest(type)) {
    // A single-platform image: its config says which platform it is.
    BasePlatform p = load_platform(dir, top, "");
    std::string have = platform_string(p.platform_json);
    for (const auto& want : platforms) {
      if (!matches(p.platform_json, want))
        fail_input("base image " + dir.string() + ":" + base.tag + " has no " + want + " image; it has " + have,
                   "build the base for every platform in service.platforms, or remove " + want + " from them");
      p.platform = want;
      base.platforms.push_back(p);
    }
    return base;
  }
  if (!is_index(type)) bad_layout(dir, "the entry for '" + base.tag + "' has unsupported media type '" + type + "'");

  auto image_index = read_json_blob(dir, top);
  const auto& entries = image_index.value("manifests", nlohmann::json::array());
  for (const auto& want : platforms) {
    const nlohmann::json* found = nullptr;
    std::string have;
    for (const auto& m : entries) {
      auto p = m.value("platform", nlohmann::json::object());
      if (!is_manifest(m.value("mediaType", ""))) continue;
      if (p.value("os", "") == "unknown") continue;  // attestations
      have += (have.empty() ? "" : ", ") + platform_string(p);
      if (!found && matches(p, want)) found = &m;
    }
    if (!found)
      fail_input("base image " + dir.string() + ":" + base.tag + " has no " + want + " image; it has " +
                     (have.empty() ? "none" : have),
                 "build the base for every platform in service.platforms, or remove " + want + " from them");
    base.platforms.push_back(load_platform(dir, *found, want));
  }
  return base;
}

}  // namespace

BaseImage read_base_image(const std::filesystem::path& dir, const std::string& tag,
                          const std::vector<std::string>& platforms) {
  try {
    return read_checked(dir, tag, platforms);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type anywhere in a hostile or broken layout ("mediaType": {}).
    bad_layout(dir, std::string("malformed image JSON: ") + e.what());
  }
}

}  // namespace xb::oci
