// One file (https, http, file) into a local path, hashed while it streams,
// through the HTTP layer (http/client.h): its retries (backoff + jitter,
// Retry-After), resume by Range, stall limit, deadline and body limit, TLS
// always verified.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "http/net_settings.h"

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
  // The size the lock declares: one byte more fails the download at once.
  // 0: unknown (kDownloadLimit).
  uint64_t expected_size = 0;
};

// What to do when a server sent other bytes than the pinned ones (a sha256
// mismatch, or more bytes than xraybake.lock declares).
inline constexpr const char* kPinMismatchHint =
    "the file changed upstream, or a mirror or proxy served other bytes; nothing was cached. If the new file is "
    "trusted, update the pin (or delete the entry from xraybake.lock) and fetch again";

// Without a declared size a download stops at 1 GiB (docs/network.md).
inline constexpr uint64_t kDownloadLimit = uint64_t{1} << 30;

// Writes the body of URL to DEST (created or truncated). Throws xb::Error:
// runtime for network failures after the retries, 404/403 at once; bad_input
// for an unsupported URL scheme and for a body longer than EXPECTED_SIZE. DEST is removed on failure unless resuming.
// Messages show URL without its secrets (util/redact.h).
Downloaded download_file(const std::string& url, const std::filesystem::path& dest, const NetSettings& settings,
                         const DownloadContext& context);

}  // namespace xb
