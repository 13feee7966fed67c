// Checking the paths inside a package: entry names and link targets must stay
// inside the tree the package describes, whatever the archive claims.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xb::deb {

// "./usr/bin/xray" -> "usr/bin/xray"; "./" and "." -> "" (the root).
// Returns nullopt for names that are absolute or climb out with "..".
std::optional<std::string> normalize_entry_name(std::string_view name);

// Where a symlink at ENTRY (normalized) pointing to TARGET lands, resolved
// lexically from the entry's directory (absolute targets from the root).
// nullopt when it climbs above the root.
std::optional<std::string> resolve_symlink(std::string_view entry, std::string_view target);

}  // namespace xb::deb
