#include "fetch/lockfile.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/fs.h"

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
  static const std::regex hex64("[0-9a-f]{64}");
  for (const auto& [arch, e] : j["daemon"].items()) {
    try {
      // A size must be a whole number: json converts a float such as 2e36 to uint64_t with undefined behaviour.
      if (!e.is_object() || !e.contains("size") || !e["size"].is_number_unsigned())
        return bad("daemon." + arch + ".size must be a whole number of bytes");
      LockEntry entry{e.at("url").get<std::string>(), e.at("sha256").get<std::string>(), e.at("size").get<uint64_t>(),
                      e.value("version", std::string()), std::nullopt};
      if (!std::regex_match(entry.sha256, hex64)) return bad("daemon." + arch + ".sha256 is not 64 lowercase hex digits");
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
                   l.at("format").get<std::string>(), l.at("source_date_epoch").get<int64_t>()};
      for (const auto* d : {&pin.digest, &pin.diff_id})
        if (d->rfind("sha256:", 0) != 0 || !std::regex_match(d->substr(7), hex64))
          return bad("daemon." + arch + ".layer: \"" + *d + "\" is not sha256:<64 lowercase hex digits>");
      lock.daemon[arch].layer = pin;
    } catch (const nlohmann::json::exception&) {
      return bad("daemon." + arch + ".layer needs \"digest\", \"diff_id\", \"format\" (strings), \"size\" and "
                 "\"source_date_epoch\" (numbers)");
    }
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
  }
  return j.dump(2) + "\n";
}

void write_lockfile(const fs::path& path, const LockFile& lock) { write_file_atomic(path, format_lockfile(lock)); }

}  // namespace xb
