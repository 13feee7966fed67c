// libFuzzer target: xb::deb::read_deb (ar + control/data tar, every filter)
// on arbitrary bytes, handed over as a file (memfd) as the build does. A bad
// package must end in xb::Error; anything else is a finding. The binary, when
// found, is read to the end like the layer writer would.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "deb/deb_reader.h"
#include "util/error.h"

namespace {

int memfd() {
  static int fd = [] {
    int f = memfd_create("fuzz.deb", 0);
    if (f < 0) abort();
    return f;
  }();
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int fd = memfd();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  xb::deb::ReadOptions options;
  options.arch = size % 2 ? "arm64" : "amd64";
  // Small limits keep each run fast; the checks are the same code.
  options.limits.max_entry_size = 8 << 20;
  options.limits.max_total_size = 16 << 20;
  options.limits.max_entries = 1000;
  try {
    xb::deb::read_deb(path, options, [](xb::deb::DaemonStream& s) {
      char buf[16384];
      uint64_t total = 0;
      while (size_t n = s.read(buf, sizeof buf)) total += n;
      if (total > s.size) abort();  // the reader promised to stop at the declared size
    });
  } catch (const xb::Error&) {
  }
  return 0;
}
