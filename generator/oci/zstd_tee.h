// Writes a zstd file (one frame, with its content checksum) while hashing
// both sides in the same pass, like gzip_tee.h. libzstd compresses on its own
// worker threads, in jobs of a fixed size: the bytes depend on the input
// only, the same for any number of workers (never the single-threaded mode,
// whose frames differ). Memory is a few jobs per worker, whatever the input's size.
#pragma once

#include <filesystem>
#include <memory>

#include "oci/compression.h"

namespace xb::oci {

// What the bytes depend on: part of every layer cache key (build/layer_cache.h).
inline constexpr const char* kZstdFormat = "zstd: libzstd level 3, checksum, 2 MiB jobs";

class ZstdTee final : public CompressingTee {
 public:
  // THREADS: libzstd's workers; 0: one per CPU.
  explicit ZstdTee(const std::filesystem::path& file, unsigned threads = 0);
  ~ZstdTee() override;
  ZstdTee(const ZstdTee&) = delete;
  ZstdTee& operator=(const ZstdTee&) = delete;

  void write(const void* data, size_t size) override;
  BlobDigests finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::oci
