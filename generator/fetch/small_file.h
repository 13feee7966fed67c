// A small file beside a .deb (a release's checksums file, a detached .sig),
// fetched whole into memory through the HTTP layer (http/client.h: retries,
// TLS verified, file:// too) with a body limit.
#pragma once

#include <cstdint>
#include <string>

#include "http/net_settings.h"

namespace xb {

struct SmallFile {
  long status = 0;  // HTTP status; 0 for file://
  std::string body;
  bool ok() const { return status == 0 || (status >= 200 && status <= 299); }
};

// GET URL (at most LIMIT bytes; LIMIT_WHAT says why, for the message). Throws
// xb::Error(runtime) naming URL without its secrets when it cannot be fetched
// at all, with HINT; an HTTP error status is returned, not thrown.
SmallFile get_small_file(const std::string& url, const NetSettings& net, uint64_t limit, const std::string& limit_what,
                         const std::string& what, const std::string& hint);

}  // namespace xb
