#include "util/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "util/error.h"

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

void write_file_atomic(const fs::path& path, std::string_view data, fs::perms mode) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  write_new(tmp, data, mode, true);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    check(false, "cannot rename into", path);
  }
}

static std::string random_suffix() {
  std::random_device rd;
  std::ostringstream ss;
  ss << std::hex << rd() << rd();
  return ss.str();
}

StagingDir::StagingDir(fs::path target) : target_(std::move(target)) {
  fs::path parent = target_.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) fail_runtime("cannot create " + parent.string() + ": " + ec.message());
  path_ = parent / ("." + target_.filename().string() + ".partial-" + random_suffix());
  fs::create_directory(path_, ec);
  if (ec) fail_runtime("cannot create " + path_.string() + ": " + ec.message());
}

StagingDir::~StagingDir() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

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

void StagingDir::commit() {
  sync_file_system(path_);
  std::error_code ec;
  fs::path old;
  if (fs::exists(fs::symlink_status(target_))) {
    old = target_.parent_path() / ("." + target_.filename().string() + ".old-" + random_suffix());
    fs::rename(target_, old, ec);
    if (ec) fail_runtime("cannot move aside " + target_.string() + ": " + ec.message());
  }
  fs::rename(path_, target_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, target_, ec);
    fail_runtime("cannot rename " + path_.string() + " to " + target_.string() + ": " + ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace xb
