#include "http/backoff.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace xb::http {

std::chrono::milliseconds backoff_delay(int attempt, const NetSettings& settings, std::mt19937& rng) {
  using std::chrono::milliseconds;
  long long base = settings.retry_base.count();
  long long cap = settings.retry_max.count();
  long long delay = base;
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return milliseconds(static_cast<long long>(static_cast<double>(delay) * jitter(rng)));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::time_t now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::seconds(seconds);
  }
  std::time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  return std::chrono::seconds(std::max<std::time_t>(0, when - now));
}

}  // namespace xb::http
