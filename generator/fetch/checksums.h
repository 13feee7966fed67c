// A release's checksums file (sha256sum's format: "<64 hex>  NAME" or
// "<64 hex> *NAME" per line), as GoReleaser publishes it beside the .debs of
// otelcol-contrib: it pins a .deb before the .deb is downloaded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/net_settings.h"

namespace xb {

// The sha256 (lower case) that CHECKSUMS gives for the file NAME, or nothing.
// Bad input when NAME is listed twice with different sums.
std::optional<std::string> checksum_for(std::string_view checksums, std::string_view name, const std::string& source);

// The URL of FILE in the same directory as DEB_URL (query and fragment dropped).
std::string beside(const std::string& deb_url, const std::string& file);

// The pin for DEB_URL from CHECKSUMS_FILE beside it: downloaded (at most 1 MiB,
// retried like any download), then the line for the .deb's own name. Bad input
// when the file has no line for it; runtime when it cannot be downloaded.
// Messages show URLs without their secrets.
std::string release_checksum(const std::string& deb_url, const std::string& checksums_file, const NetSettings& net);

}  // namespace xb
