#include "build/fleet_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::build {

namespace {

std::filesystem::path g_store;

// The files and the package as xraybake.lock writes them.
nlohmann::json to_json(const StoredLayer& l) {
  nlohmann::json j = {{"digest", l.blob.digest}, {"diff_id", l.blob.diff_id}, {"size", l.blob.size},
                      {"version", l.version}, {"files", pinned_files_json(l.files)}, {"deb_size", l.deb_size}};
  if (l.package) j["package"] = package_json(*l.package);
  return j;
}

StoredLayer from_json(const nlohmann::json& j) {
  StoredLayer l;
  l.blob = {j.at("digest").get<std::string>(), j.at("diff_id").get<std::string>(), j.at("size").get<uint64_t>()};
  l.version = j.at("version").get<std::string>();
  l.deb_size = j.value("deb_size", uint64_t{0});
  for (const auto& f : j.at("files"))
    l.files.push_back({f.at("path").get<std::string>(), f.at("size").get<uint64_t>(), f.at("sha256").get<std::string>(),
                       f.at("sha1").get<std::string>()});
  if (j.contains("package")) {
    const auto& p = j["package"];
    l.package = PackageFacts{p.at("name").get<std::string>(),     p.at("maintainer").get<std::string>(),
                             p.at("vendor").get<std::string>(),   p.at("homepage").get<std::string>(),
                             p.at("summary").get<std::string>(),  p.at("license").get<std::string>()};
  }
  return l;
}

}  // namespace

void set_fleet_store(const std::filesystem::path& dir) { g_store = dir; }
const std::filesystem::path& fleet_store() { return g_store; }

namespace {
std::function<void()>& waiting() {
  static std::function<void()> wait;
  return wait;
}
}  // namespace
void set_fleet_wait(std::function<void()> wait) { waiting() = std::move(wait); }
bool fleet_waits() { return static_cast<bool>(waiting()); }
void fleet_wait() {
  if (auto wait = std::exchange(waiting(), {})) wait();
}

std::optional<StoredLayer> fleet_store_peek(const std::string& key) {
  if (g_store.empty()) return std::nullopt;
  const auto facts = g_store / (key + ".json");
  std::error_code ec;
  if (!std::filesystem::exists(facts, ec)) return std::nullopt;
  try {
    return from_json(nlohmann::json::parse(read_file(facts)));
  } catch (const std::exception& e) {
    log::verbose("the fleet's " + key + " is unreadable (" + e.what() + "); making it");
    return std::nullopt;
  }
}

std::optional<StoredLayer> fleet_store_take(const std::string& key, const std::filesystem::path& dest) {
  auto l = fleet_store_peek(key);
  if (!l) return std::nullopt;
  if (::link((g_store / (key + ".layer")).c_str(), dest.c_str()) != 0) {
    log::verbose("could not link the fleet's " + key + " to " + dest.string() + ": " + std::strerror(errno) +
                 "; making it");
    return std::nullopt;
  }
  log::verbose("took " + l->blob.digest + " from the fleet's store (" + key + ")");
  return l;
}

void fleet_store_put(const std::string& key, const std::filesystem::path& file, const StoredLayer& layer) {
  if (g_store.empty()) return;
  if (key.find('/') != std::string::npos) fail_runtime("internal: a fleet store key with a '/': " + key);
  // The layer first, the facts last: a build that finds the facts finds the layer.
  if (::link(file.c_str(), (g_store / (key + ".layer")).c_str()) != 0) {
    if (errno != EEXIST)
      log::verbose("could not keep " + file.string() + " in the fleet's store: " + std::strerror(errno));
    return;  // EEXIST: another build of the fleet put it first
  }
  try {
    // Not fsynced: the store lasts as long as the fleet, and a build waits for this.
    write_file_atomic(g_store / (key + ".json"), to_json(layer).dump(), std::filesystem::perms(0600), false);
  } catch (const std::exception& e) {
    log::verbose(std::string("could not keep facts in the fleet's store: ") + e.what());
  }
}

namespace {
// "sha256:<hex>" -> "verified-sha256-<hex>": a name without '/' or ':'.
std::filesystem::path verified_path(const std::string& digest) {
  std::string name = "verified-" + digest;
  for (char& c : name)
    if (c == ':' || c == '/') c = '-';
  return g_store / name;
}
}  // namespace

void fleet_store_put_verified(const std::string& digest, const std::filesystem::path& path, int fd) {
  if (g_store.empty()) return;
  struct stat by_path {}, by_fd {};
  // The name still is the file that was hashed: link it (a rename in between would link another).
  if (::lstat(path.c_str(), &by_path) != 0 || ::fstat(fd, &by_fd) != 0 || by_path.st_dev != by_fd.st_dev ||
      by_path.st_ino != by_fd.st_ino)
    return;
  if (::link(path.c_str(), verified_path(digest).c_str()) != 0 && errno != EEXIST && errno != EXDEV)
    log::verbose("could not keep " + path.string() + " in the fleet's store: " + std::strerror(errno));
}

bool fleet_store_verified(const std::string& digest, int fd) {
  if (g_store.empty()) return false;
  struct stat kept {}, now {};
  return ::lstat(verified_path(digest).c_str(), &kept) == 0 && ::fstat(fd, &now) == 0 && kept.st_dev == now.st_dev &&
         kept.st_ino == now.st_ino;
}

}  // namespace xb::build
