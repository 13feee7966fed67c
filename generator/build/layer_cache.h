// Finished layers kept in the download cache by what they were made from, so
// a warm build copies the daemon layer instead of reading the .deb and
// compressing 15 MB again:
//
//   CACHE/layers/<key>.tar.gz   the layer (read-only)
//   CACHE/layers/<key>.json     {"digest", "diff_id", "size", "meta": {...}, "seal": {...}}
//
// Both are written by rename, the .json last, so a reader sees whole entries
// only. A hit is hard-linked (read-only) or copied out; it is re-hashed unless
// its seal (util/file_seal.h) shows it untouched since it was hashed: a
// corrupt entry is removed and reported as a miss, never used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "oci/gzip_tee.h"

namespace xb::build {

struct CachedLayer {
  oci::BlobDigests blob;
  nlohmann::json meta;  // what the writer stored beside it (e.g. the daemon's version)
};

class LayerCache {
 public:
  // DIR: the cache root (CACHE above); empty disables the cache.
  explicit LayerCache(std::filesystem::path root);

  bool enabled() const { return !dir_.empty(); }
  // Puts the layer stored under KEY at DEST (a hard link when it can, read-only,
  // else a copy); nullopt when there is none or it is corrupt.
  std::optional<CachedLayer> get(const std::string& key, const std::filesystem::path& dest) const;
  // Keeps a copy of LAYER under KEY. Failing to write the cache is not an error of the build.
  void put(const std::string& key, const std::filesystem::path& layer, const CachedLayer& entry) const;

 private:
  std::filesystem::path dir_;
};

// The key of the daemon layer made from the .deb with SHA256 (its binary at
// BINARY_PATH, for ARCH) with every timestamp EPOCH, by this xraybake.
std::string daemon_layer_key(const std::string& deb_sha256, const std::string& arch, const std::string& binary_path,
                             int64_t epoch);

}  // namespace xb::build
