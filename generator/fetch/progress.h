// Download progress: a live bar (bytes, rate, time left) when stderr is a
// terminal, one plain line per file otherwise, nothing with --quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace xb {

class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // NOW bytes of TOTAL (0 when unknown) are on disk; redraws at most ~8 times a second.
  void update(uint64_t now, uint64_t total);
  // Removes the bar (before a warning, or when done).
  void clear();

 private:
  std::string label_;
  bool live_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  uint64_t start_bytes_ = UINT64_MAX;
  uint64_t last_now_ = 0;
};

// "10.1 MiB"
std::string human_bytes(uint64_t bytes);

}  // namespace xb
