// When to try a failed request again: exponential backoff with jitter, and
// the server's Retry-After when it says so.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <random>
#include <string_view>

#include "http/net_settings.h"

namespace xb::http {

// Delay before retry number ATTEMPT (1 = the first retry): base * 2^(attempt-1),
// capped at retry_max, times a random factor in [0.5, 1] so that many clients
// failing together do not come back together.
std::chrono::milliseconds backoff_delay(int attempt, const NetSettings& settings, std::mt19937& rng);

// A Retry-After value: delta-seconds or an HTTP date (relative to NOW).
// nullopt when it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::time_t now);

}  // namespace xb::http
