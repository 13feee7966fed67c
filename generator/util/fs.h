// File-system helpers that never leave a half-written file or directory
// where a finished one is expected.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace xb {

namespace fs = std::filesystem;

// Whole file as bytes; throws xb::Error (runtime) naming the path.
std::string read_file(const fs::path& path);

// Writes to PATH.tmp.<pid> beside it, fsyncs, renames over PATH.
void write_file_atomic(const fs::path& path, std::string_view data, fs::perms mode = fs::perms(0644));

// Writes PATH in place, without fsync: for files inside a StagingDir, which
// nobody reads before commit() makes them all durable with one sync.
void write_file(const fs::path& path, std::string_view data, fs::perms mode = fs::perms(0644));

// A directory created beside `target` (same file system, so a rename is
// atomic) and removed on destruction unless commit() renamed it onto target.
class StagingDir {
 public:
  explicit StagingDir(fs::path target);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const fs::path& path() const { return path_; }
  // Syncs the file system once (every file written into the staging dir,
  // however it was written), then replaces `target` (an older output is
  // moved aside, then removed).
  void commit();

 private:
  fs::path target_;
  fs::path path_;
  bool committed_ = false;
};

}  // namespace xb
