#include "fetch/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file_seal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/sha256.h"

namespace xb {

namespace fs = std::filesystem;

static void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_runtime("cannot create " + dir.string() + ": " + ec.message(), "check --cache-dir");
}

FileLock::FileLock(const fs::path& path, const std::string& what) {
  make_dirs(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_runtime("cannot open lock " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno != EWOULDBLOCK) fail_runtime("cannot lock " + path.string() + ": " + std::strerror(errno));
  log::info("waiting for another xraybake that is fetching " + what);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) fail_runtime("cannot lock " + path.string() + ": " + std::strerror(errno));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

DebCache::DebCache(fs::path root) : root_(fs::absolute(root)) {}

fs::path DebCache::blob_path(const std::string& sha256) const { return root_ / "blobs" / "sha256" / sha256; }

fs::path DebCache::seal_path(const std::string& sha256) const { return root_ / "index" / "verified" / sha256; }

void DebCache::seal(const fs::path& blob, const std::string& sha256) const {
  auto now = seal_of(blob);
  if (!now) return;
  try {
    make_dirs(seal_path(sha256).parent_path());
    write_file_atomic(seal_path(sha256), nlohmann::json(*now).dump() + "\n");
  } catch (const Error& e) {
    log::verbose(std::string("cache: ") + e.what());  // without a seal the next run hashes again
  }
}

std::optional<fs::path> DebCache::find(const std::string& sha256) const {
  fs::path p = blob_path(sha256);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  // Verified before and untouched since: no need to read 6 MB again.
  try {
    if (seal_matches(p, nlohmann::json::parse(read_file(seal_path(sha256))))) return p;
  } catch (const std::exception&) {
    // no seal or a damaged one: hash it
  }
  if (sha256_file_hex(p.string()) == sha256) {
    seal(p, sha256);
    return p;
  }
  log::warn("cache: " + p.string() + " is corrupt (its digest changed); removing it");
  fs::remove(p, ec);
  fs::remove(seal_path(sha256), ec);
  return std::nullopt;
}

static std::string url_key(const std::string& url) { return sha256_hex(url); }

std::optional<CacheEntry> DebCache::lookup_url(const std::string& url) const {
  fs::path p = root_ / "index" / "url" / url_key(url);
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(read_file(p));
    CacheEntry e{j.at("url").get<std::string>(), j.at("sha256").get<std::string>(), j.at("size").get<uint64_t>()};
    if (e.url != redact_url(url)) return std::nullopt;
    return e;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged index entry is just a miss
  }
}

void DebCache::record_url(const CacheEntry& e) const {
  fs::path dir = root_ / "index" / "url";
  make_dirs(dir);
  nlohmann::json j = {{"url", redact_url(e.url)}, {"sha256", e.sha256}, {"size", e.size}};
  write_file_atomic(dir / url_key(e.url), j.dump(2) + "\n");
}

FileLock DebCache::lock_url(const std::string& url) const {
  return FileLock(root_ / "locks" / (url_key(url) + ".lock"), redact_url(url));
}

fs::path DebCache::temp_path(const std::string& url) const {
  fs::path dir = root_ / "tmp";
  make_dirs(dir);
  return dir / (url_key(url) + ".partial");  // only the holder of URL's lock touches it
}

fs::path DebCache::commit(const fs::path& temp, const std::string& sha256) const {
  fs::path dest = blob_path(sha256);
  make_dirs(dest.parent_path());
  if (::chmod(temp.c_str(), 0444) != 0 || ::rename(temp.c_str(), dest.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    fail_runtime("cannot move " + temp.string() + " to " + dest.string() + ": " + std::strerror(e));
  }
  if (int dfd = ::open(dest.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // the rename survives a crash
    ::close(dfd);
  }
  seal(dest, sha256);
  return dest;
}

}  // namespace xb
