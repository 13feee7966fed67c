// libFuzzer target: xraybake.lock as a co-tenant or a bad merge may leave it.
// A bad lock must end in xb::Error; one that reads must survive a round trip
// (format, read again: the same pins), since `fetch` rewrites it that way.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fetch/lockfile.h"
#include "util/error.h"

namespace {

int memfd() {
  static int fd = [] {
    int f = memfd_create("xraybake.lock", 0);
    if (f < 0) abort();
    return f;
  }();
  return fd;
}

std::string put(const void* data, size_t size) {
  int fd = memfd();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) abort();
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto lock = xb::read_lockfile(put(data, size));
    if (!lock) abort();  // the file exists
    std::string again = xb::format_lockfile(*lock);
    auto back = xb::read_lockfile(put(again.data(), again.size()));
    if (!back || !(*back == *lock)) abort();
    if (xb::format_lockfile(*back) != again) abort();
  } catch (const xb::Error&) {
  }
  return 0;
}
