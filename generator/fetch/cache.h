// The content-addressed download cache shared by every xraybake process:
//
//   CACHE/blobs/sha256/<hex>        .debs, read-only, named by their digest
//   CACHE/index/url/<sha256(url)>   {"url" (redacted), "sha256", "size", "version"}:
//                                    what a URL gave last (`xraybake cache ls`)
//   CACHE/locks/<sha256(url)>.lock  flock()ed while one process fetches URL
//   CACHE/tmp/<sha256(url)>.partial  a download a failed run left, resumed when
//                                    a pin checks it; CACHE/tmp/.<random>.tmp
//                                    the downloads in progress
//
// The cache may be shared with someone we do not trust (docs/cache.md): a
// blob is hashed again on every use (a file of a few MB: about 15 ms, see
// docs/performance.md) and never believed because of anything written beside
// it; the index is only a hint for listing and for --offline without a pin.
// Every file is created under a random name with O_EXCL|O_NOFOLLOW and
// renamed into place (util/cache_file.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xb {

struct CacheEntry {
  std::string url;  // redacted (fetch/url.h)
  std::string sha256;
  uint64_t size = 0;
  std::string version;  // the package's, from its control file
};

// An exclusive flock() on a lock file; released when destroyed.
class FileLock {
 public:
  FileLock(const std::filesystem::path& path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// A download in progress: a file of our own in CACHE/tmp under a random name.
struct PendingDownload {
  std::filesystem::path path;
  uint64_t resumed_bytes = 0;  // what an earlier run left, moved in to be resumed
};

class DebCache {
 public:
  explicit DebCache(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(const std::string& sha256) const;

  // The blob with this digest, when present and intact: hashed again now; a
  // corrupt one or a symlink is removed and reported as missing.
  std::optional<std::filesystem::path> find(const std::string& sha256) const;
  // What URL was last verified as: a hint, never a pin.
  std::optional<CacheEntry> lookup_url(const std::string& url) const;
  void record_url(const std::string& url, const CacheEntry& entry) const;

  // Holds URL's lock; waits (saying so) while another process has it.
  FileLock lock_url(const std::string& url) const;
  // A new file to download URL into (hold its lock). RESUME: the partial
  // download an earlier run left for URL is moved into it.
  PendingDownload start_download(const std::string& url, bool resume) const;
  // Keeps a failed download's bytes for the next run to resume.
  void keep_partial(const std::filesystem::path& temp, const std::string& url) const;
  // Moves a verified TEMP file to its blob path, read-only; returns that path.
  std::filesystem::path commit(const std::filesystem::path& temp, const std::string& sha256) const;

 private:
  std::filesystem::path partial_path(const std::string& url) const;
  std::filesystem::path root_;
};

// Marks PATH as used now (its mtime: what `cache ls` and `cache clean
// --older-than` go by); failing is not an error.
void touch_cache_file(const std::filesystem::path& path);

}  // namespace xb
