#include "util/fs.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/log.h"
#include "util/strings.h"

namespace xb {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_runtime("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

static void check(bool ok, const std::string& what, const fs::path& p) {
  if (!ok) fail_runtime(what + " " + p.string() + ": " + std::strerror(errno));
}

// Creates PATH with DATA and MODE, fsync()ed when SYNC; a failed write leaves no file.
static void write_new(const fs::path& path, std::string_view data, fs::perms mode, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  check(fd >= 0, "cannot create", path);
  auto fail = [&](const char* what) {
    int e = errno;
    ::close(fd);
    ::unlink(path.c_str());
    errno = e;
    check(false, what, path);
  };
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write");
    off += static_cast<size_t>(n);
  }
  // The umask must not change the mode the caller asked for.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) fail("cannot chmod");
  if (sync && ::fsync(fd) != 0) fail("cannot fsync");
  check(::close(fd) == 0, "cannot close", path);
}

void write_file(const fs::path& path, std::string_view data, fs::perms mode) { write_new(path, data, mode, false); }

namespace {
bool inside_live_staging(const fs::path& path);
}

void write_file_atomic(const fs::path& path, std::string_view data, fs::perms mode, bool durable) {
  // Inside a staging directory the commit publishes every file at once and
  // makes them durable with one syncfs(): nobody sees a file half written, so
  // neither a temporary name nor an fsync per file is needed.
  if (inside_live_staging(path)) return write_new(path, data, mode, false);
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  write_new(tmp, data, mode, durable);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    check(false, "cannot rename into", path);
  }
}

static std::string random_suffix() {
  uint64_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) r = std::random_device()();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
  return hex;
}

namespace {

constexpr std::string_view kMarkerText =
    "This directory is an output of xraybake build: the next build into it replaces it as a whole.\n";

// ---- Staging directories to remove when a signal ends the process ----

struct LiveDirs {
  std::mutex mutex;
  std::vector<fs::path> dirs;
};
LiveDirs& live_dirs() {
  static auto* live = new LiveDirs;  // never destroyed: the signal thread may use it during exit
  return *live;
}
bool inside_live_staging(const fs::path& path) {
  std::error_code ec;
  const fs::path p = fs::absolute(path, ec).lexically_normal();
  if (ec) return false;
  auto& live = live_dirs();
  std::lock_guard<std::mutex> lock(live.mutex);
  for (const auto& d : live.dirs) {
    auto [dir_end, p_end] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
    if (dir_end == d.end() && p_end != p.end()) return true;
  }
  return false;
}
void forget_live(const fs::path& dir) {
  auto& live = live_dirs();
  std::lock_guard<std::mutex> lock(live.mutex);
  live.dirs.erase(std::remove(live.dirs.begin(), live.dirs.end(), dir), live.dirs.end());
}

int g_signal_pipe = -1;  // write end; the handler only writes the signal number into it

extern "C" void on_interrupt(int sig) {
  int saved = errno;
  unsigned char c = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe, &c, 1);
  errno = saved;
}

// remove_all, again while a writer still adds files (it is about to die).
void remove_tree(const fs::path& dir) {
  std::error_code ec;
  for (int i = 0; i < 100 && fs::exists(fs::symlink_status(dir, ec)); ++i) fs::remove_all(dir, ec);
}

// Waits for a signal, removes every live staging directory, then dies of that
// signal (as a shell expects of an interrupted command), or exits 128+N where
// it can not (PID 1 of a container ignores it).
void cleanup_thread(int fd) {
  unsigned char c = 0;
  for (;;) {
    ssize_t n = ::read(fd, &c, 1);
    if (n == 1) break;
    if (n < 0 && errno == EINTR) continue;
    return;
  }
  auto& live = live_dirs();
  live.mutex.lock();  // never unlocked: no staging directory is made or committed after this
  for (const auto& d : live.dirs) remove_tree(d);
  ::signal(c, SIG_DFL);
  ::raise(c);
  ::_exit(128 + c);
}

void install_interrupt_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    g_signal_pipe = fds[1];
    std::thread(cleanup_thread, fds[0]).detach();
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      ::sigaction(sig, nullptr, &old);
      if (old.sa_handler == SIG_IGN) continue;  // nohup, a background job: keep ignoring it
      struct sigaction sa {};
      sa.sa_handler = on_interrupt;
      sa.sa_flags = SA_RESTART;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  });
}

// ---- Which directories a commit may replace ----

// Absolute, symbolic links resolved as far as the path exists, no trailing "/".
fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  fs::path out = fs::weakly_canonical(abs, ec);
  if (ec) out = abs.lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

// DIR is P or one of P's parents.
bool same_or_parent(const fs::path& dir, const fs::path& p) {
  auto q = p.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++q)
    if (q == p.end() || *d != *q) return false;
  return true;
}

const std::string kChooseAnother = "choose a new or empty output directory (build -o DIR)";

// The current directory and $HOME, resolved (empty when there is none), and
// what they were when resolved: resolved again only when that changes.
struct ProtectedDirs {
  fs::path cwd, home;
  fs::path cwd_was;
  std::string home_was;
};
ProtectedDirs protected_dirs() {
  static std::mutex mutex;
  static ProtectedDirs last;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) cwd.clear();
  const char* env = std::getenv("HOME");
  std::string home = env ? env : "";
  std::lock_guard<std::mutex> lock(mutex);
  if (cwd != last.cwd_was) {
    last.cwd = cwd.empty() ? fs::path() : resolved(cwd);
    last.cwd_was = cwd;
  }
  if (home != last.home_was) {
    last.home = home.empty() ? fs::path() : resolved(home);
    last.home_was = home;
  }
  return last;
}

// TARGET (resolved) is none of the directories a build must never replace.
void check_location(const fs::path& target, const std::vector<KeptDir>& keep) {
  if (target == target.root_path())
    fail_input("refusing to replace " + target.string() + " with the build's output", kChooseAnother);
  auto refuse_parent = [&](const fs::path& dir, const std::string& what) {
    if (dir.empty() || !same_or_parent(target, dir)) return;
    fail_input("refusing to replace " + target.string() + " with the build's output: it is " +
                   (target == dir ? what : "a parent of " + what + " (" + dir.string() + ")"),
               kChooseAnother + ", e.g. " + (dir / "out").string());
  };
  const ProtectedDirs dirs = protected_dirs();
  refuse_parent(dirs.cwd, "the current directory");
  refuse_parent(dirs.home, "your home directory");
  for (const auto& k : keep) refuse_parent(k.resolved, k.given.string() + ", which the build reads");
}

bool is_regular_no_follow(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::regular;
}

// DIR holds the marker, or the build.json of an xraybake from before the marker.
bool is_earlier_output(const fs::path& dir) {
  std::error_code ec;
  if (is_regular_no_follow(dir / kOutputMarker) && fs::file_size(dir / kOutputMarker, ec) == kMarkerText.size())
    return read_file(dir / kOutputMarker) == kMarkerText;
  fs::path report = dir / "build.json";
  if (!is_regular_no_follow(report) || fs::file_size(report, ec) > (64u << 20) || ec) return false;
  auto j = nlohmann::json::parse(read_file(report), nullptr, false);
  return j.is_object() && j.contains("xraybake_version");
}

// TARGET (resolved) does not exist, is empty or is an earlier output.
void check_contents(const fs::path& target) {
  std::error_code ec;
  auto st = fs::symlink_status(target, ec);
  if (st.type() == fs::file_type::not_found) return;
  if (st.type() == fs::file_type::symlink)
    fail_input(target.string() + " is a symbolic link to nothing; refusing to replace it with the build's output",
               kChooseAnother + ", or remove the link yourself");
  if (st.type() != fs::file_type::directory)
    fail_input(target.string() + " is a file, not a directory; refusing to replace it with the build's output",
               kChooseAnother + ", or remove " + target.string() + " yourself");
  fs::directory_iterator it(target, ec);
  if (ec) fail_runtime("cannot list " + target.string() + ": " + ec.message(), kChooseAnother);
  if (it == fs::directory_iterator() || is_earlier_output(target)) return;
  fail_input(target.string() + " is not empty and not an earlier xraybake output (it has no build.json): the build "
                 "replaces its output directory as a whole, which would delete what is there",
             kChooseAnother + ", or remove " + target.string() + " yourself if nothing in it is needed");
}

// ---- Locks ----

// flock() on a directory, held while the object lives; none when it can't be opened.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    while (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

// Nobody holds the lock of staging directory DIR: the build that made it is gone.
bool abandoned(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// What dead builds left beside TARGET (the caller holds the parent's lock, so
// no live build is between its two renames): a commit killed between them is
// finished (its staging directory is complete) or rolled back, stale staging
// and moved-aside directories are removed.
void repair(const fs::path& target) {
  const std::string prefix = "." + target.filename().string() + ".";
  std::map<std::string, fs::path> partial, old;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    if (rest.starts_with("partial-") && is_lower_hex(rest.substr(8))) partial[std::string(rest.substr(8))] = e.path();
    if (rest.starts_with("old-") && is_lower_hex(rest.substr(4))) old[std::string(rest.substr(4))] = e.path();
  }
  if (!fs::exists(fs::symlink_status(target, ec))) {
    for (const auto& [suffix, aside] : old) {
      auto staged = partial.find(suffix);
      if (staged != partial.end() && abandoned(staged->second) && !::rename(staged->second.c_str(), target.c_str())) {
        log::warn(target.string() + ": finished the commit of a build that was killed during it");
        partial.erase(staged);
        break;
      }
      if (!::rename(aside.c_str(), target.c_str())) {
        log::warn(target.string() + ": restored the output that a killed build had moved aside");
        old.erase(suffix);
        break;
      }
    }
  }
  for (const auto& [suffix, aside] : old) remove_tree(aside);
  for (const auto& [suffix, staged] : partial)
    if (abandoned(staged)) remove_tree(staged);
}

}  // namespace

void resolve_protected_dirs() { protected_dirs(); }

StagingDir::StagingDir(fs::path target, const std::vector<fs::path>& keep) : target_(resolved(target)) {
  for (const auto& k : keep)
    if (!k.empty()) keep_.push_back({k, resolved(k)});
  check_location(target_, keep_);
  fs::path parent = target_.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) fail_runtime("cannot create " + parent.string() + ": " + ec.message());
  install_interrupt_cleanup();
  DirLock parent_lock(parent);
  repair(target_);
  check_contents(target_);
  suffix_ = random_suffix();
  path_ = parent / ("." + target_.filename().string() + ".partial-" + suffix_);
  {
    auto& live = live_dirs();
    std::lock_guard<std::mutex> lock(live.mutex);
    live.dirs.push_back(path_);
  }
  fs::create_directory(path_, ec);
  if (!ec) {
    lock_fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) ec = std::error_code(errno, std::generic_category());
  }
  if (ec) {
    abandon();
    fail_runtime("cannot create " + path_.string() + ": " + ec.message());
  }
  try {
    write_file(path_ / kOutputMarker, kMarkerText);
  } catch (...) {
    abandon();
    throw;
  }
}

void StagingDir::abandon() {
  if (!committed_) {
    remove_tree(path_);
    forget_live(path_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

StagingDir::~StagingDir() { abandon(); }

// One syncfs() instead of an fsync() per output file: the outputs are only
// published by the rename below, so they need to be durable only then.
static void sync_file_system(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check(fd >= 0, "cannot open", dir);
  if (::syncfs(fd) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    check(false, "cannot sync the file system of", dir);
  }
  ::close(fd);
}

// Test hook: XRAYBAKE_TEST_PAUSE_COMMIT=1 stops the commit between its two
// renames, after a line on stderr, until the process is killed.
static void pause_for_test() {
  const char* pause = std::getenv("XRAYBAKE_TEST_PAUSE_COMMIT");
  if (!pause || std::strcmp(pause, "1") != 0) return;
  std::fputs("xraybake: test hook: paused between the two renames of the commit\n", stderr);
  std::fflush(stderr);
  for (;;) ::pause();
}

static DurableHook& durable_hook() {
  static DurableHook hook;
  return hook;
}
void set_durable_hook(DurableHook hook) { durable_hook() = std::move(hook); }

void StagingDir::commit() {
  if (!durable_hook() || !durable_hook()(path_)) sync_file_system(path_);
  fs::path parent = target_.parent_path();
  fs::path old;
  {
    DirLock parent_lock(parent);
    // Again: something may have been put there while the build ran. (Where
    // target_ is was checked once: it is resolved, and so are the others.)
    check_contents(target_);
    auto& live = live_dirs();
    std::lock_guard<std::mutex> lock(live.mutex);  // a signal waits for both renames
    std::error_code ec;
    if (fs::exists(fs::symlink_status(target_, ec))) {
      old = parent / ("." + target_.filename().string() + ".old-" + suffix_);
      if (::rename(target_.c_str(), old.c_str()) != 0) check(false, "cannot move aside", target_);
      live.dirs.push_back(old);
      pause_for_test();
    }
    if (::rename(path_.c_str(), target_.c_str()) != 0) {
      int e = errno;
      if (!old.empty() && ::rename(old.c_str(), target_.c_str()) == 0)
        live.dirs.erase(std::remove(live.dirs.begin(), live.dirs.end(), old), live.dirs.end());
      errno = e;
      check(false, "cannot rename " + path_.string() + " to", target_);
    }
    live.dirs.erase(std::remove(live.dirs.begin(), live.dirs.end(), path_), live.dirs.end());
    committed_ = true;
  }
  if (!old.empty()) {
    remove_tree(old);
    forget_live(old);
  }
}

}  // namespace xb
