// Finished layers kept in the download cache by what they were made from, so
// a warm build copies the daemon layer instead of reading the .deb and
// compressing 15 MB again:
//
//   CACHE/layers/<key>.tar.gz   the layer (read-only)
//   CACHE/layers/<key>.json     {"digest", "diff_id", "size", "meta": {...}}
//
// The cache may be shared with someone we do not trust (docs/cache.md), and
// KEY is predictable, so an entry proves nothing by itself: get() hands one
// out only when the caller names the digest it must have (what xraybake.lock
// recorded when a verified build made the layer), and only after the copy it
// made was hashed to that digest. Files are created under random names with
// O_EXCL|O_NOFOLLOW and renamed into place (util/cache_file.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "fetch/lockfile.h"
#include "oci/compression.h"

namespace xb::build {

// The daemon layer's format; part of the cache key and of xraybake.lock's
// layer record. Bump when the layer's bytes change for the same inputs
// (layer_writer.cpp, gzip_tee.cpp, zstd_tee.cpp).
inline constexpr const char* kDaemonLayerFormat = "daemon-layer/2";
// The format a layer compressed with C is recorded under: kDaemonLayerFormat
// for gzip (so locks written before zstd existed stay warm), "daemon-layer/2+zstd".
std::string daemon_layer_format(oci::Compression c);

struct CachedLayer {
  oci::BlobDigests blob;
  nlohmann::json meta;  // what the writer stored beside it (e.g. the daemon's version)
};

class LayerCache {
 public:
  // DIR: the cache root (CACHE above); empty disables the cache.
  explicit LayerCache(std::filesystem::path root);

  bool enabled() const { return !dir_.empty(); }
  // Copies the layer stored under KEY to DEST when it is EXPECTED (digest and
  // size, hashed while copying); nullopt otherwise (an entry that is not what
  // it must be is removed).
  std::optional<CachedLayer> get(const std::string& key, const oci::BlobDigests& expected,
                                 const std::filesystem::path& dest) const;
  // Keeps a copy of LAYER under KEY. Failing to write the cache is not an error of the build.
  void put(const std::string& key, const std::filesystem::path& layer, const CachedLayer& entry) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path dir_;
};

// The key of the daemon layer made from the .deb with SHA256 (its binary at
// BINARY_PATH, for ARCH) with every timestamp EPOCH, compressed with C, by this xraybake.
std::string daemon_layer_key(const std::string& deb_sha256, const std::string& arch, const std::string& binary_path,
                             int64_t epoch, oci::Compression c = oci::Compression::gzip);

// What xraybake.lock records of the daemon layer BLOB made with EPOCH and C.
LayerPin daemon_layer_pin(const oci::BlobDigests& blob, int64_t epoch, oci::Compression c = oci::Compression::gzip);

}  // namespace xb::build
