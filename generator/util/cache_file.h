// Creating files in a cache that someone else may have written into before
// us (a shared CI cache): nothing there is followed or overwritten in place.
//
// - a new file is opened O_CREAT|O_EXCL|O_NOFOLLOW under a random name in its
//   directory (so a planted file or symlink can neither be predicted nor be
//   written through), filled, then renamed onto its final name (rename
//   replaces a planted symlink itself, never its target);
// - each directory below the cache root is created and then lstat()ed: a
//   symlink or other non-directory there is refused, not followed;
// - a cache file is read through open(O_NOFOLLOW) and fstat(): a symlink is
//   never read as if it were the entry.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace xb {

// ROOT/REL, each component of REL created when missing and checked to be a
// real directory. Throws xb::Error (runtime) naming the component.
std::filesystem::path cache_dir(const std::filesystem::path& root, const std::filesystem::path& rel);

// A new, empty, private (0600) file DIR/<random>.tmp, removed on destruction
// unless commit() renamed it.
class NewCacheFile {
 public:
  explicit NewCacheFile(const std::filesystem::path& dir);
  ~NewCacheFile();
  NewCacheFile(const NewCacheFile&) = delete;
  NewCacheFile& operator=(const NewCacheFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_; }
  void write(std::string_view data);
  // fsync, chmod MODE, close, rename onto DEST (same directory or file system).
  void commit(const std::filesystem::path& dest, mode_t mode);
  // Closes the file but keeps it (its name is path()); the caller now owns it.
  void release();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool done_ = false;
};

// DATA as DEST, through a NewCacheFile in DEST's directory.
void write_cache_file(const std::filesystem::path& dest, std::string_view data, mode_t mode = 0644);

// The file at PATH opened read-only without following a symlink; -1 (errno
// set) when it is missing, a symlink or not a regular file.
int open_cache_file(const std::filesystem::path& path);

// "sha256:<hex>" of what FD reads from its start; nullopt-like "" on a read error.
std::string sha256_of_fd(int fd);

}  // namespace xb
