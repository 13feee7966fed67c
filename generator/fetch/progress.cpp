#include "fetch/progress.h"

#include <cstdio>

#include "util/log.h"

namespace xb {

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

Progress::Progress(std::string label)
    : label_(std::move(label)), live_(log::interactive() && log::level() >= log::Level::normal),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { clear(); }

void Progress::update(uint64_t now, uint64_t total) {
  if (!live_) return;
  auto t = std::chrono::steady_clock::now();
  if (start_bytes_ == UINT64_MAX) start_bytes_ = now;  // a resumed transfer's rate counts new bytes only
  if (drawn_ && (now == last_now_ || (t - last_draw_ < std::chrono::milliseconds(120) && now != total))) return;
  last_draw_ = t;
  last_now_ = now;
  double secs = std::chrono::duration<double>(t - start_).count();
  double rate = secs > 0.2 ? static_cast<double>(now - std::min(now, start_bytes_)) / secs : 0;
  std::string line = "\r\033[K" + label_ + "  " + human_bytes(now);
  if (total > 0) {
    int width = 24;
    int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(now) / static_cast<double>(total));
    filled = std::min(filled, width);
    line += " / " + human_bytes(total) + "  [" + std::string(filled, '#') + std::string(width - filled, ' ') + "]";
  }
  if (rate > 0) {
    line += "  " + human_bytes(static_cast<uint64_t>(rate)) + "/s";
    if (total > now) {
      long eta = static_cast<long>(static_cast<double>(total - now) / rate);
      line += "  ETA " + (eta >= 60 ? std::to_string(eta / 60) + "m" : "") + std::to_string(eta % 60) + "s";
    }
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace xb
