// The content-addressed cache shared by pulls, pushes and the daemon download
// (fetch/cache.h): CACHE/blobs/sha256/<hex>, read-only, each file verified
// before it is renamed there, and a
// small record of which repositories of which registry hold which blob (for
// cross-repository mounts).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace xb::registry {

namespace fs = std::filesystem;

// What a producer of a blob writes to: its bytes in order, and a way back to
// nothing (a server that ignored Range sends the whole blob again).
struct BlobSink {
  std::function<void(std::string_view)> write;
  std::function<void()> rewind;
};

class BlobStore {
 public:
  explicit BlobStore(fs::path cache_dir);

  // CACHE/blobs/sha256/<hex> for "sha256:<hex>" (whether or not it exists).
  fs::path path(const std::string& digest) const;
  bool has(const std::string& digest) const;
  // Writes what PRODUCE passes to its sink into the store under DIGEST,
  // verifying digest and size (size < 0: unknown). Throws xb::Error(runtime)
  // on a mismatch, naming WHAT (a URL); nothing is stored then. The file is
  // created under a random name (util/cache_file.h) and renamed into place.
  using Produce = std::function<void(const BlobSink&)>;
  fs::path put(const std::string& digest, int64_t size, const std::string& what, const Produce& produce);
  fs::path put_bytes(const std::string& digest, std::string_view bytes, const std::string& what);

 private:
  fs::path root_;
  fs::path dir_;
};

// CACHE/registry/blob-locations.json: registry -> digest -> repositories.
class BlobLocations {
 public:
  explicit BlobLocations(fs::path cache_dir);
  // Repositories of REGISTRY known to hold DIGEST.
  std::set<std::string> repositories(const std::string& registry, const std::string& digest) const;
  void add(const std::string& registry, const std::string& repository, const std::string& digest);
  // Merges with what is on disk and writes it atomically.
  void save();

 private:
  fs::path file_;
  std::map<std::string, std::map<std::string, std::set<std::string>>> known_;
  bool dirty_ = false;
};

// Links (or copies) FROM to TO unless TO exists.
void link_or_copy(const fs::path& from, const fs::path& to);

}  // namespace xb::registry
