// xraybake.lock, beside the descriptor: the sha256 pinned for each
// architecture's daemon .deb on first fetch, like a package manager's lock,
// and what a verified build made from it.
//
//   {
//     "daemon": {
//       "amd64": {
//         "layer": {"diff_id": "sha256:..", "digest": "sha256:..", "format": "daemon-layer/2",
//                   "files": [{"path": "/usr/bin/xray", "sha1": "<40 hex>", "sha256": "<64 hex>", "size": 789}],
//                   "size": 456, "source_date_epoch": 0},
//         "package": {"homepage": "..", "license": "..", "maintainer": "..", "name": "xray",
//                     "summary": "..", "vendor": ".."},
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
// instead of making it again (docs/cache.md), or from a registry that holds
// a blob of that digest without the .deb at all. For that, "layer.files" (the
// layer's regular files as the SBOM lists them) and "package" (the .deb's
// control facts the SBOM and provenance name) record what a build would
// otherwise read from the layer and the .deb. "version", "layer", "files" and
// "package" are optional: locks written before them still read.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xb {

// A regular file of the layer, as the SBOM lists it.
struct PinnedFile {
  std::string path;    // in the image: "/usr/bin/xray"
  uint64_t size = 0;
  std::string sha256;  // hex
  std::string sha1;    // hex
  bool operator==(const PinnedFile&) const = default;
};

// What the .deb's control file says, as the SBOM and the provenance name it.
struct PackageFacts {
  std::string name, maintainer, vendor, homepage, summary, license;
  bool operator==(const PackageFacts&) const = default;
};

struct LayerPin {
  std::string digest;   // "sha256:<hex>" of the .tar.gz
  std::string diff_id;  // "sha256:<hex>" of the tar
  uint64_t size = 0;
  std::string format;   // the layer writer's format (build/layer_cache.h kDaemonLayerFormat)
  int64_t source_date_epoch = 0;
  std::vector<PinnedFile> files;  // empty in older locks: the layer then needs its .deb or a cached copy
  bool operator==(const LayerPin&) const = default;
};

struct LockEntry {
  std::string url;
  std::string sha256;
  uint64_t size = 0;
  std::string version;            // "3.6.6"; empty in older locks
  std::optional<LayerPin> layer;  // absent until a build made the layer
  std::optional<PackageFacts> package;  // absent until a build read the .deb
  bool operator==(const LockEntry&) const = default;
};

struct LockFile {
  std::map<std::string, LockEntry> daemon;  // by arch
  bool operator==(const LockFile&) const = default;
};

// A layer's files and a package's facts as xraybake.lock writes them (and
// the fleet's store, build/fleet_store.h).
nlohmann::json pinned_files_json(const std::vector<PinnedFile>& files);
nlohmann::json package_json(const PackageFacts& facts);

// xraybake.lock beside DESCRIPTOR_PATH (the working directory when empty).
std::filesystem::path lockfile_path(const std::string& descriptor_path);

// nullopt when the file does not exist; xb::Error (bad_input) when it is not a valid lock file.
std::optional<LockFile> read_lockfile(const std::filesystem::path& path);
std::string format_lockfile(const LockFile& lock);
void write_lockfile(const std::filesystem::path& path, const LockFile& lock);

}  // namespace xb
