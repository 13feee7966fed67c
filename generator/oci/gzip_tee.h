// Writes a gzip file while hashing both sides in the same pass: the
// uncompressed stream (a layer's diff_id) and the compressed bytes (its
// digest). The input is cut into blocks of a fixed size, each compressed by
// libdeflate on its own (on as many threads as asked) into one gzip member,
// the members written in order: the bytes depend on the input only, never on
// the number of threads, and every gzip reader (zlib, Go's compress/gzip,
// containerd, gunzip) reads the concatenation as one stream. Each member's
// header carries no name and no time. Memory is a few blocks per thread,
// whatever the input's size.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "oci/compression.h"

namespace xb::oci {

// What the bytes depend on: part of every layer cache key (build/layer_cache.h).
inline constexpr const char* kGzipFormat = "gzip: libdeflate level 6, 1 MiB members";
inline constexpr size_t kGzipBlock = 1 << 20;

struct GzipOptions {
  unsigned threads = 0;  // compressing threads; 0: one per CPU
};

class GzipTee final : public CompressingTee {
 public:
  explicit GzipTee(const std::filesystem::path& file, GzipOptions options = {});
  ~GzipTee();
  GzipTee(const GzipTee&) = delete;
  GzipTee& operator=(const GzipTee&) = delete;

  void write(const void* data, size_t size) override;
  BlobDigests finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::oci
