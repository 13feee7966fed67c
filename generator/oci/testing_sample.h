// Test helpers of the compressing tees (gzip_tee_test, zstd_tee_test): a
// scratch directory and input that compresses somewhat, like a binary.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace xb::oci::test_support {

struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("xb-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

// SIZE bytes of random words from a small vocabulary with some noise, from SEED.
inline std::string compressible_sample(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  static const char* kWords[] = {"segment", "trace_id", "0x7f", "\x01\x02\x03", "xray", "{\"id\":", "\n"};
  std::string s;
  while (s.size() < size) {
    if (rng() % 8 == 0)
      s += static_cast<char>(rng());
    else
      s += kWords[rng() % 7];
  }
  s.resize(size);
  return s;
}

}  // namespace xb::oci::test_support
