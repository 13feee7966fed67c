// xraybake.lock, beside the descriptor: the sha256 pinned for each
// architecture's daemon .deb on first fetch, like a package manager's lock.
//
//   {
//     "daemon": {
//       "amd64": {"sha256": "<64 hex>", "size": 123, "url": "https://..."}
//     },
//     "lockfileVersion": 1
//   }
//
// Keys sorted, two-space indent, newline at the end: the same pins give the
// same bytes. "url" is xray.url expanded (never the XRAYBAKE_DAEMON_URL
// mirror), so a mirror is checked against the pins of the real URL.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace xb {

struct LockEntry {
  std::string url;
  std::string sha256;
  uint64_t size = 0;
  bool operator==(const LockEntry&) const = default;
};

struct LockFile {
  std::map<std::string, LockEntry> daemon;  // by arch
  bool operator==(const LockFile&) const = default;
};

// xraybake.lock beside DESCRIPTOR_PATH (the working directory when empty).
std::filesystem::path lockfile_path(const std::string& descriptor_path);

// nullopt when the file does not exist; xb::Error (bad_input) when it is not a valid lock file.
std::optional<LockFile> read_lockfile(const std::filesystem::path& path);
std::string format_lockfile(const LockFile& lock);
void write_lockfile(const std::filesystem::path& path, const LockFile& lock);

}  // namespace xb
