// Writes a gzip file while hashing both sides in the same pass: the
// uncompressed stream (a layer's diff_id) and the compressed bytes (its
// digest). The gzip header carries no name and no time, and a fixed OS byte,
// so equal input gives equal bytes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "util/sha256.h"

namespace xb::oci {

struct BlobDigests {
  std::string digest;   // "sha256:<hex>" of the compressed file
  std::string diff_id;  // "sha256:<hex>" of the uncompressed stream
  uint64_t size = 0;    // compressed bytes
};

class GzipTee {
 public:
  explicit GzipTee(const std::filesystem::path& file);
  ~GzipTee();
  GzipTee(const GzipTee&) = delete;
  GzipTee& operator=(const GzipTee&) = delete;

  void write(const void* data, size_t size);
  // Flushes and closes the file; no writes afterwards.
  BlobDigests finish();

 private:
  void deflate_some(int flush);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xb::oci
