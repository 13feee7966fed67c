// One file over libcurl (https, http, file) into a local path, hashed while it
// streams, with retries (backoff + jitter, Retry-After), resume by Range, a
// low-speed limit against stalls, and TLS always verified.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "fetch/net_settings.h"

namespace xb {

struct Downloaded {
  std::string sha256;  // 64 hex of the bytes written
  uint64_t size = 0;
  int attempts = 0;    // 1 when the first try succeeded
  uint64_t resumed_from = 0;  // bytes an earlier run had left in DEST
};

// What a 404 or 403 most likely means, for the error's hint.
struct DownloadContext {
  std::string label;      // "amd64", shown in progress and messages
  std::string not_found_hint;
  // Continue from what an earlier (killed) run left in DEST, and keep DEST
  // when this run fails too. Only safe when a pin will check the result.
  bool resume = false;
};

// Writes the body of URL to DEST (created or truncated). Throws xb::Error:
// runtime for network failures after the retries, 404/403 at once; bad_input
// for an unsupported URL scheme. DEST is removed on failure unless resuming.
Downloaded download_file(const std::string& url, const std::filesystem::path& dest, const NetSettings& settings,
                         const DownloadContext& context);

}  // namespace xb
