// What the builds of one fleet (cli/build_fleet.h) share: the layers one of
// them made, with what they are, so that the others link them instead of
// making them again. The fleet makes the store's directory inside its OUT
// (mode 0700: only this user writes there, unlike a shared cache), names it
// here before it forks its builds, and removes it when they have ended.
//
//   STORE/<key>.layer   the layer, a hard link of the file a build wrote to its OUT
//   STORE/<key>.json    {"digest", "diff_id", "size", "version", "package", "files"}
//
// A build puts a layer only once it passed every check of its own build (the
// agent's from a verified .deb), and takes one only by a key that names all
// it was made from (layer_cache.h's, with the .deb's sha256), so what it
// links is what it would have made. A single build has no store.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fetch/lockfile.h"
#include "oci/compression.h"

namespace xb::build {

struct StoredLayer {
  oci::BlobDigests blob;
  // The agent's: the .deb's Version and control facts; empty for others.
  std::string version;
  std::optional<PackageFacts> package;
  std::vector<PinnedFile> files;  // the layer's regular files (the SBOM's), as read back from it
  uint64_t deb_size = 0;  // the agent's .deb, whose sha256 is in the key
};

// The fleet, before forking its builds; empty: none (the default).
void set_fleet_store(const std::filesystem::path& dir);
const std::filesystem::path& fleet_store();

// A build the fleet started before the first build of its agent had made its
// layers waits in fleet_wait() (called once, before it fetches) until that
// build has, or has ended: WAIT, set by the fleet in that build. A no-op
// when unset (a single build, or one started once they were made).
void set_fleet_wait(std::function<void()> wait);
bool fleet_waits();  // whether fleet_wait() will wait
void fleet_wait();

// What the store says of KEY, without taking the layer (what lets a build do without its .deb).
std::optional<StoredLayer> fleet_store_peek(const std::string& key);

// Links the layer stored under KEY to DEST (same file system, DEST absent):
// what it is, or nullopt when the store has none (or no store is set, or the
// link fails: the caller then makes the layer as usual).
std::optional<StoredLayer> fleet_store_take(const std::string& key, const std::filesystem::path& dest);

// Keeps FILE (hard-linked, so it is never copied) under KEY as LAYER; the
// first build to put a key wins. Failing is not an error of the build.
void fleet_store_put(const std::string& key, const std::filesystem::path& file, const StoredLayer& layer);

// A base blob a build hashed to DIGEST (what the file at PATH, open as FD,
// holds): the store keeps a hard link to that very file (inode), so that the
// fleet's other builds know it without hashing it again (a 100 MB base, 200
// times). Not kept across file systems, or when no store is set.
void fleet_store_put_verified(const std::string& digest, const std::filesystem::path& path, int fd);
// Whether FD is the very file (same device and inode) a build of this fleet hashed to DIGEST.
bool fleet_store_verified(const std::string& digest, int fd);

}  // namespace xb::build
