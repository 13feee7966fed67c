// File-system helpers that never leave a half-written file or directory
// where a finished one is expected.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

namespace fs = std::filesystem;

// Whole file as bytes; throws xb::Error (runtime) naming the path.
std::string read_file(const fs::path& path);

// Writes to PATH.tmp.<pid> beside it, fsyncs, renames over PATH. Inside a
// live StagingDir it writes PATH itself and does not fsync: commit() publishes
// the whole directory at once, durable with one syncfs(), so nobody sees a file
// half written. Nor does it fsync with DURABLE false: a file that only matters
// while this run lasts (a fleet's store).
void write_file_atomic(const fs::path& path, std::string_view data, fs::perms mode = fs::perms(0644),
                       bool durable = true);

// Writes PATH in place, without fsync: for files inside a StagingDir, which
// nobody reads before commit() makes them all durable with one sync.
void write_file(const fs::path& path, std::string_view data, fs::perms mode = fs::perms(0644));

// Who makes a commit's staged files durable in place of its own syncfs():
// a fleet's build hands that to the fleet, which syncs the file system once
// for all of its builds that are ready, while others go on building
// (cli/build_fleet.cpp). HOOK(staging directory) returns false when it did
// not make it durable; the commit then syncs itself. Empty (the default): none.
using DurableHook = std::function<bool(const fs::path& staged)>;
void set_durable_hook(DurableHook hook);

// The file StagingDir puts at the top of every output it commits, so a later
// build knows the directory is its own to replace. Fixed content.
inline constexpr std::string_view kOutputMarker = ".xraybake-output";

// A directory created beside `target` (same file system, so a rename is
// atomic), removed on destruction, on SIGINT, SIGTERM or SIGHUP (the process
// then dies of that signal: exit 130, 143, 129) unless commit() renamed it
// onto target.
//
// Target is never someone's data: it may be replaced only when it does not
// exist, is an empty directory, or is an earlier output (it holds
// kOutputMarker, or a build.json written by xraybake, from before the marker).
// It may never be `/`, $HOME, the current directory, any of `keep` (the
// descriptor's directory, the cache, ...) or a parent of one of them. The
// constructor checks both (commit() checks what target holds again) and
// throws xb::Error (bad_input) saying what to do.
//
// A build killed between the two renames of commit() leaves the old target
// moved aside as .NAME.old-X beside the complete .NAME.partial-X: the next
// StagingDir for that target finishes that commit; stale staging directories
// of dead builds are removed (a live build's is locked, and kept).
// One of a StagingDir's `keep`: as given (for messages), and resolved.
struct KeptDir {
  fs::path given, resolved;
};

// Resolves $HOME and the current directory, which no StagingDir may replace,
// and remembers them until either changes. A fleet calls it before it forks
// its builds, so that each inherits the answer instead of resolving them again.
void resolve_protected_dirs();

class StagingDir {
 public:
  explicit StagingDir(fs::path target, const std::vector<fs::path>& keep = {});
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const fs::path& path() const { return path_; }
  // The target, absolute, with symbolic links resolved (what commit() replaces).
  const fs::path& target() const { return target_; }
  // Syncs the file system once (every file written into the staging dir,
  // however it was written; or the DurableHook does), then replaces `target`
  // (an older output is moved aside, then removed).
  void commit();

 private:
  void abandon();  // removes the staging directory unless committed, drops its lock

  fs::path target_;
  std::vector<KeptDir> keep_;
  fs::path path_;
  std::string suffix_;
  int lock_fd_ = -1;  // flock()ed while the staging directory is ours
  bool committed_ = false;
};

}  // namespace xb
