// xraybake.lock, beside the descriptor: the sha256 pinned for each
// architecture's daemon .deb on first fetch, like a package manager's lock,
// and what a verified build made from it.
//
//   {
//     "daemon": {
//       "amd64": {
//         "layer": {"diff_id": "sha256:..", "digest": "sha256:..", "format": "daemon-layer/1",
//                   "size": 456, "source_date_epoch": 0},
//         "sha256": "<64 hex>", "size": 123, "url": "https://...", "version": "3.6.6"
//       }
//     },
//     "lockfileVersion": 1
//   }
//
// Keys sorted, two-space indent, newline at the end: the same pins give the
// same bytes. "url" is xray.url expanded, without credentials (never the
// XRAYBAKE_DAEMON_URL mirror), so a mirror is checked against the pins of the
// real URL. "version" is the package's own (control file), not xray.version.
// "layer" is the daemon layer a build made from exactly these bytes: the only
// thing that lets a build take that layer from the (shared, untrusted) cache
// instead of making it again (docs/cache.md). "version" and "layer" are
// optional: locks written before them still read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace xb {

struct LayerPin {
  std::string digest;   // "sha256:<hex>" of the .tar.gz
  std::string diff_id;  // "sha256:<hex>" of the tar
  uint64_t size = 0;
  std::string format;   // the layer writer's format (build/layer_cache.h kDaemonLayerFormat)
  int64_t source_date_epoch = 0;
  bool operator==(const LayerPin&) const = default;
};

struct LockEntry {
  std::string url;
  std::string sha256;
  uint64_t size = 0;
  std::string version;            // "3.6.6"; empty in older locks
  std::optional<LayerPin> layer;  // absent until a build made the layer
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
