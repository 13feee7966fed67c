#include "fetch/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "util/cache_file.h"
#include "fetch/url.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

FileLock::FileLock(const fs::path& path, const std::string& what) {
  // O_NOFOLLOW: a planted symlink must not make us create or lock another file.
  for (int tries = 0; fd_ < 0 && tries < 2; ++tries) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno == ELOOP) ::unlink(path.c_str());
  }
  if (fd_ < 0) fail_runtime("cannot open lock " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno != EWOULDBLOCK) fail_runtime("cannot lock " + path.string() + ": " + std::strerror(errno));
  log::info("waiting for another xraybake that is fetching " + redact_url(what));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) fail_runtime("cannot lock " + path.string() + ": " + std::strerror(errno));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void touch_cache_file(const fs::path& path) {
  const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  ::utimensat(AT_FDCWD, path.c_str(), now, AT_SYMLINK_NOFOLLOW);
}

DebCache::DebCache(fs::path root) : root_(fs::absolute(root)) {}

fs::path DebCache::blob_path(const std::string& sha256) const { return root_ / "blobs" / "sha256" / sha256; }

std::optional<fs::path> DebCache::find(const std::string& sha256) const {
  if (!is_sha256_hex(sha256)) return std::nullopt;  // never a path of someone's choosing
  fs::path p = blob_path(sha256);
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return std::nullopt;
  int fd = open_cache_file(p);
  std::string got = fd >= 0 ? sha256_of_fd(fd) : "";
  if (fd >= 0) ::close(fd);
  if (got == "sha256:" + sha256) {
    touch_cache_file(p);
    return p;
  }
  log::warn("cache: " + p.string() + (fd < 0 ? " is not a regular file" : " does not match its digest") +
            "; removing it");
  ::unlink(p.c_str());
  return std::nullopt;
}

static std::string url_key(const std::string& url) { return sha256_hex(url); }

std::optional<CacheEntry> DebCache::lookup_url(const std::string& url) const {
  fs::path p = root_ / "index" / "url" / url_key(url);
  int fd = open_cache_file(p);
  if (fd < 0) return std::nullopt;
  ::close(fd);
  try {
    auto j = nlohmann::json::parse(read_file(p));
    CacheEntry e{j.at("url").get<std::string>(), j.at("sha256").get<std::string>(), j.at("size").get<uint64_t>(),
                 j.value("version", std::string())};
    if (e.url != redact_url(url) || !is_sha256_hex(e.sha256)) return std::nullopt;
    return e;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged index entry is just a miss
  }
}

void DebCache::record_url(const std::string& url, const CacheEntry& e) const {
  fs::path dir = cache_dir(root_, "index/url");
  // Most builds find what they recorded before: no new file, no fsync (a fleet's every build asks).
  if (auto was = lookup_url(url); was && was->url == redact_url(e.url) && was->sha256 == e.sha256 &&
                                  was->size == e.size && was->version == e.version)
    return;
  nlohmann::json j = {{"url", redact_url(e.url)}, {"sha256", e.sha256}, {"size", e.size}, {"version", e.version}};
  write_cache_file(dir / url_key(url), j.dump(2) + "\n");
}

FileLock DebCache::lock_url(const std::string& url) const {
  return FileLock(cache_dir(root_, "locks") / (url_key(url) + ".lock"), redact_url(url));
}

fs::path DebCache::partial_path(const std::string& url) const { return root_ / "tmp" / (url_key(url) + ".partial"); }

PendingDownload DebCache::start_download(const std::string& url, bool resume) const {
  NewCacheFile file(cache_dir(root_, "tmp"));
  PendingDownload out{file.path(), 0};
  file.release();
  const fs::path left = partial_path(url);
  struct stat st {};
  if (::lstat(left.c_str(), &st) != 0) return out;
  // Only a plain file of ours with one name is resumed; anything else is removed.
  if (resume && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == ::geteuid() &&
      ::rename(left.c_str(), out.path.c_str()) == 0) {
    out.resumed_bytes = static_cast<uint64_t>(st.st_size);
    return out;
  }
  ::unlink(left.c_str());
  return out;
}

void DebCache::keep_partial(const fs::path& temp, const std::string& url) const {
  std::error_code ec;
  if (fs::file_size(temp, ec) == 0 || ec || ::rename(temp.c_str(), partial_path(url).c_str()) != 0)
    ::unlink(temp.c_str());
}

fs::path DebCache::commit(const fs::path& temp, const std::string& sha256) const {
  fs::path dest = cache_dir(root_, "blobs/sha256") / sha256;
  if (::chmod(temp.c_str(), 0444) != 0 || ::rename(temp.c_str(), dest.c_str()) != 0) {
    int e = errno;
    ::unlink(temp.c_str());
    fail_runtime("cannot move " + temp.string() + " to " + dest.string() + ": " + std::strerror(e));
  }
  if (int dfd = ::open(dest.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // the rename survives a crash
    ::close(dfd);
  }
  return dest;
}

}  // namespace xb
