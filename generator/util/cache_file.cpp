#include "util/cache_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"
#include "util/sha256.h"

namespace xb {

namespace fs = std::filesystem;

fs::path cache_dir(const fs::path& root, const fs::path& rel) {
  std::error_code ec;
  fs::create_directories(root, ec);  // the root itself is the user's choice (--cache-dir), a symlink included
  if (ec) fail_runtime("cannot create the cache " + root.string() + ": " + ec.message(), "check --cache-dir");
  fs::path dir = root;
  for (const auto& part : rel) {
    dir /= part;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      fail_runtime("cannot create " + dir.string() + ": " + std::strerror(errno), "check --cache-dir");
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      fail_runtime("the cache " + root.string() + " has " + dir.string() + ", which is not a directory" +
                       (S_ISLNK(st.st_mode) ? " but a symbolic link" : ""),
                   "someone else wrote into the cache: remove " + dir.string() + ", or use another --cache-dir");
  }
  return dir;
}

static std::string random_name() {
  unsigned char bytes[12];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_runtime(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

NewCacheFile::NewCacheFile(const fs::path& dir) {
  for (int tries = 0; tries < 100; ++tries) {
    path_ = dir / ("." + random_name() + ".tmp");
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  fail_runtime("cannot create a file in " + dir.string() + ": " + std::strerror(errno), "check --cache-dir");
}

NewCacheFile::~NewCacheFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) ::unlink(path_.c_str());
}

void NewCacheFile::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_runtime("cannot write " + path_.string() + ": " + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void NewCacheFile::commit(const fs::path& dest, mode_t mode) {
  if (fd_ >= 0) {
    if (::fsync(fd_) != 0 || ::fchmod(fd_, mode) != 0)
      fail_runtime("cannot write " + path_.string() + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
  } else if (::chmod(path_.c_str(), mode) != 0) {
    fail_runtime("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
  if (::rename(path_.c_str(), dest.c_str()) != 0)
    fail_runtime("cannot move " + path_.string() + " to " + dest.string() + ": " + std::strerror(errno));
  done_ = true;
  if (int dfd = ::open(dest.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // the rename survives a crash
    ::close(dfd);
  }
}

void NewCacheFile::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  done_ = true;
}

void write_cache_file(const fs::path& dest, std::string_view data, mode_t mode) {
  NewCacheFile f(dest.parent_path());
  f.write(data);
  f.commit(dest, mode);
}

int open_cache_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

std::string sha256_of_fd(int fd) {
  Sha256 h;
  std::string buf(1 << 20, '\0');
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
    off += n;
  }
  return "sha256:" + h.hex();
}

}  // namespace xb
