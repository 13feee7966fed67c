// The content-addressed download cache shared by every xraybake process:
//
//   CACHE/blobs/sha256/<hex>        verified files, read-only, named by digest
//   CACHE/index/url/<sha256(url)>   {"url", "sha256", "size"}: what URL gave last
//   CACHE/index/verified/<hex>      the blob's stat() when it was last hashed
//                                    (util/file_seal.h): a match skips hashing
//   CACHE/locks/<sha256(url)>.lock  flock()ed while one process fetches URL
//   CACHE/tmp/<sha256(url)>.partial  a download in progress (or one a killed
//                                    run left: resumed when a pin checks it)
//
// A file reaches blobs/ only by rename() after its digest was checked, so a
// reader never sees a partial or unverified blob.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace xb {

struct CacheEntry {
  std::string url;
  std::string sha256;
  uint64_t size = 0;
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

class DebCache {
 public:
  explicit DebCache(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(const std::string& sha256) const;

  // The blob with this digest, when present and still intact (re-hashed
  // unless its seal matches; a corrupt one is removed and reported as missing).
  std::optional<std::filesystem::path> find(const std::string& sha256) const;
  // What URL was last verified as (unpinned lookups).
  std::optional<CacheEntry> lookup_url(const std::string& url) const;
  void record_url(const CacheEntry& entry) const;

  // Holds URL's lock; waits (saying so) while another process has it.
  FileLock lock_url(const std::string& url) const;
  // The temporary path inside the cache for downloading URL (hold its lock).
  std::filesystem::path temp_path(const std::string& url) const;
  // Moves a verified TEMP file to its blob path, read-only; returns that path.
  std::filesystem::path commit(const std::filesystem::path& temp, const std::string& sha256) const;

 private:
  std::filesystem::path seal_path(const std::string& sha256) const;
  void seal(const std::filesystem::path& blob, const std::string& sha256) const;

  std::filesystem::path root_;
};

}  // namespace xb
