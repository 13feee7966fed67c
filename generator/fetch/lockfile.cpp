#include "fetch/lockfile.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

fs::path lockfile_path(const std::string& descriptor_path) {
  fs::path dir = fs::path(descriptor_path).parent_path();
  return dir / "xraybake.lock";
}

std::optional<LockFile> read_lockfile(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::string text = read_file(path);
  auto bad = [&](const std::string& why) -> LockFile {
    fail_input(path.string() + ": " + why,
               "xraybake.lock is written by `xraybake fetch`; fix it, or delete it and fetch again to re-pin");
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number such as 1e999
    return bad(std::string("not valid JSON: ") + e.what());
  }
  // Compared as JSON: a "lockfileVersion" of another type is simply not 1.
  if (!j.is_object() || !j.contains("lockfileVersion") || j["lockfileVersion"] != 1)
    return bad("expected \"lockfileVersion\": 1");
  LockFile lock;
  if (!j.contains("daemon")) return lock;
  if (!j["daemon"].is_object()) return bad("\"daemon\" must be an object of architectures");
  for (const auto& [arch, e] : j["daemon"].items()) {
    try {
      // A size must be a whole number: json converts a float such as 2e36 to uint64_t with undefined behaviour.
      if (!e.is_object() || !e.contains("size") || !e["size"].is_number_unsigned())
        return bad("daemon." + arch + ".size must be a whole number of bytes");
      LockEntry entry{e.at("url").get<std::string>(), e.at("sha256").get<std::string>(), e.at("size").get<uint64_t>(),
                      e.value("version", std::string()), std::nullopt, std::nullopt};
      if (!is_sha256_hex(entry.sha256)) return bad("daemon." + arch + ".sha256 is not 64 lowercase hex digits");
      lock.daemon[arch] = entry;
    } catch (const nlohmann::json::exception&) {
      return bad("daemon." + arch + " needs \"url\" (string), \"sha256\" (string) and \"size\" (number)");
    }
    if (!e.contains("layer")) continue;
    try {
      const auto& l = e["layer"];
      // Whole numbers only, as daemon.<arch>.size: a float would convert with undefined behaviour.
      if (!l.is_object() || !l.contains("size") || !l["size"].is_number_unsigned() ||
          !l.contains("source_date_epoch") || !l["source_date_epoch"].is_number_integer())
        return bad("daemon." + arch + ".layer: \"size\" and \"source_date_epoch\" must be whole numbers");
      LayerPin pin{l.at("digest").get<std::string>(), l.at("diff_id").get<std::string>(), l.at("size").get<uint64_t>(),
                   l.at("format").get<std::string>(), l.at("source_date_epoch").get<int64_t>(), {}};
      for (const auto* d : {&pin.digest, &pin.diff_id})
        if (!oci::is_digest(*d))
          return bad("daemon." + arch + ".layer: \"" + *d + "\" is not sha256:<64 lowercase hex digits>");
      if (l.contains("files")) {
        if (!l["files"].is_array()) return bad("daemon." + arch + ".layer.files must be an array");
        auto hex40 = [](std::string_view h) { return h.size() == 40 && is_lower_hex(h); };
        for (const auto& f : l["files"]) {
          if (!f.is_object() || !f.contains("size") || !f["size"].is_number_unsigned())
            return bad("daemon." + arch + ".layer.files: each needs \"size\", a whole number of bytes");
          PinnedFile pf{f.at("path").get<std::string>(), f.at("size").get<uint64_t>(), f.at("sha256").get<std::string>(),
                        f.at("sha1").get<std::string>()};
          if (!pf.path.starts_with("/") || !is_sha256_hex(pf.sha256) || !hex40(pf.sha1))
            return bad("daemon." + arch + ".layer.files: \"" + pf.path +
                       "\" needs an absolute path, a sha256 of 64 and a sha1 of 40 lowercase hex digits");
          pin.files.push_back(std::move(pf));
        }
      }
      lock.daemon[arch].layer = pin;
    } catch (const nlohmann::json::exception&) {
      return bad("daemon." + arch + ".layer needs \"digest\", \"diff_id\", \"format\" (strings), \"size\" and "
                 "\"source_date_epoch\" (numbers), and each of its \"files\" \"path\", \"sha256\", \"sha1\" (strings)");
    }
  }
  for (const auto& [arch, e] : j["daemon"].items()) {
    if (!e.contains("package")) continue;
    const auto& p = e["package"];
    PackageFacts facts;
    const std::pair<const char*, std::string*> keys[] = {{"name", &facts.name},         {"maintainer", &facts.maintainer},
                                                         {"vendor", &facts.vendor},     {"homepage", &facts.homepage},
                                                         {"summary", &facts.summary},   {"license", &facts.license}};
    for (const auto& [key, into] : keys) {
      if (!p.is_object() || (p.contains(key) && !p[key].is_string()))
        return bad("daemon." + arch + ".package must be an object of strings");
      *into = p.value(key, std::string());
    }
    if (facts.name.empty()) return bad("daemon." + arch + ".package needs \"name\"");
    lock.daemon[arch].package = facts;
  }
  return lock;
}

std::string format_lockfile(const LockFile& lock) {
  nlohmann::json j = nlohmann::json::object();  // std::map underneath: keys sorted
  j["lockfileVersion"] = 1;
  j["daemon"] = nlohmann::json::object();
  for (const auto& [arch, e] : lock.daemon) {
    auto& out = j["daemon"][arch];
    out = {{"url", e.url}, {"sha256", e.sha256}, {"size", e.size}};
    if (!e.version.empty()) out["version"] = e.version;
    if (e.layer)
      out["layer"] = {{"digest", e.layer->digest},    {"diff_id", e.layer->diff_id},
                      {"size", e.layer->size},        {"format", e.layer->format},
                      {"source_date_epoch", e.layer->source_date_epoch}};
    if (e.layer && !e.layer->files.empty()) out["layer"]["files"] = pinned_files_json(e.layer->files);
    if (e.package) out["package"] = package_json(*e.package);
  }
  return j.dump(2) + "\n";
}

nlohmann::json pinned_files_json(const std::vector<PinnedFile>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : files) out.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}, {"sha1", f.sha1}});
  return out;
}

nlohmann::json package_json(const PackageFacts& p) {
  return {{"name", p.name},         {"maintainer", p.maintainer}, {"vendor", p.vendor},
          {"homepage", p.homepage}, {"summary", p.summary},       {"license", p.license}};
}

void write_lockfile(const fs::path& path, const LockFile& lock) { write_file_atomic(path, format_lockfile(lock)); }

}  // namespace xb
