#include "fetch/cache_admin.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "util/cache_file.h"
#include "util/fs.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

// The directories of the cache, all removed by `clean`.
const char* const kParts[] = {"blobs", "index", "layers", "tmp", "locks", "registry"};

std::optional<nlohmann::json> read_json(const fs::path& p) {
  int fd = open_cache_file(p);
  if (fd < 0) return std::nullopt;
  ::close(fd);
  try {
    return nlohmann::json::parse(read_file(p));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// DIR's entries; files being written (".<random>.tmp") only when HIDDEN.
std::vector<fs::path> files_in(const fs::path& dir, bool hidden = false) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (hidden || it->path().filename().string().front() != '.') out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

fs::file_time_type mtime(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  return ec ? fs::file_time_type::min() : t;
}

uint64_t lsize(const fs::path& p) {
  std::error_code ec;
  auto s = fs::symlink_status(p, ec);
  if (ec || !fs::is_regular_file(s)) return 0;
  auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}

}  // namespace

std::vector<CacheItem> list_cache(const fs::path& root) {
  std::map<std::string, std::pair<std::string, std::string>> by_digest;  // hex -> url, version
  for (const auto& p : files_in(root / "index" / "url"))
    if (auto j = read_json(p); j && j->is_object())
      by_digest[j->value("sha256", "")] = {j->value("url", ""), j->value("version", "")};
  std::vector<CacheItem> out;
  for (const auto& p : files_in(root / "blobs" / "sha256")) {
    CacheItem item{"blob", p, "sha256:" + p.filename().string(), lsize(p), "", "", mtime(p)};
    if (auto it = by_digest.find(p.filename().string()); it != by_digest.end()) {
      item.kind = "deb";
      std::tie(item.url, item.version) = it->second;
    }
    out.push_back(std::move(item));
  }
  for (const auto& p : files_in(root / "layers")) {
    if (p.extension() != ".gz") continue;
    CacheItem item{"layer", p, "", lsize(p), "", "", mtime(p)};
    fs::path meta = p;
    meta.replace_extension().replace_extension(".json");
    if (auto j = read_json(meta); j && j->is_object()) {
      item.digest = j->value("digest", "");
      item.version = j->value("meta", nlohmann::json::object()).value("daemon_version", "");
    }
    out.push_back(std::move(item));
  }
  return out;
}

CacheCheck verify_cache(const fs::path& root) {
  CacheCheck check;
  auto remove = [&](const fs::path& p, const std::string& why) {
    ::unlink(p.c_str());
    check.removed.push_back(p.string() + ": " + why);
  };
  for (const auto& p : files_in(root / "blobs" / "sha256")) {
    ++check.checked;
    int fd = open_cache_file(p);
    if (fd < 0) {
      remove(p, "not a regular file");
      continue;
    }
    std::string got = sha256_of_fd(fd);
    ::close(fd);
    if (got != "sha256:" + p.filename().string()) remove(p, "its content has the digest " + got);
  }
  for (const auto& p : files_in(root / "layers")) {
    if (p.extension() != ".gz") continue;
    ++check.checked;
    fs::path meta = p;
    meta.replace_extension().replace_extension(".json");
    auto j = read_json(meta);
    std::string want = j && j->is_object() ? j->value("digest", "") : "";
    int fd = open_cache_file(p);
    std::string got = fd >= 0 ? sha256_of_fd(fd) : "";
    if (fd >= 0) ::close(fd);
    if (fd < 0) remove(p, "not a regular file");
    else if (want.empty()) remove(p, "no readable " + meta.filename().string() + " beside it");
    else if (got != want) remove(p, "its content has the digest " + got + ", " + meta.filename().string() + " says " + want);
    else continue;
    ::unlink(meta.c_str());
  }
  return check;
}

size_t clean_cache(const fs::path& root, std::optional<std::chrono::seconds> older_than) {
  size_t removed = 0;
  std::error_code ec;
  if (!older_than) {
    for (const char* part : kParts) {
      auto n = fs::remove_all(root / part, ec);
      if (n != static_cast<std::uintmax_t>(-1)) removed += n;
    }
    return removed;
  }
  const auto cutoff = fs::file_time_type::clock::now() - *older_than;
  auto drop_old = [&](const fs::path& dir) {
    for (const auto& p : files_in(dir, true))
      if (mtime(p) < cutoff && fs::remove(p, ec)) ++removed;
  };
  drop_old(root / "blobs" / "sha256");
  drop_old(root / "layers");
  drop_old(root / "tmp");
  // Index entries of blobs that are gone, and layers' metadata without a layer.
  for (const auto& p : files_in(root / "index" / "url")) {
    auto j = read_json(p);
    std::string hex = j && j->is_object() ? j->value("sha256", "") : "";
    if ((hex.empty() || !fs::exists(root / "blobs" / "sha256" / hex)) && fs::remove(p, ec)) ++removed;
  }
  for (const auto& p : files_in(root / "layers")) {
    if (p.extension() != ".json") continue;
    fs::path blob = p;
    blob.replace_extension(".tar.gz");
    if (!fs::exists(blob) && fs::remove(p, ec)) ++removed;
  }
  return removed;
}

}  // namespace xb
