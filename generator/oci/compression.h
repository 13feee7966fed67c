// How a layer's tar stream is compressed: gzip (every reader; the default)
// or zstd (OCI's tar+zstd: smaller and faster to read, but only for newer
// runtimes). A compressing tee writes the compressed file while hashing both
// sides in the same pass; one implementation per file (gzip_tee, zstd_tee).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xb::oci {

struct BlobDigests {
  std::string digest;   // "sha256:<hex>" of the compressed file
  std::string diff_id;  // "sha256:<hex>" of the uncompressed stream
  uint64_t size = 0;    // compressed bytes
};

enum class Compression { gzip, zstd };

struct CompressionInfo {
  Compression compression;
  std::string_view name;        // as the descriptor says it: "gzip", "zstd"
  std::string_view media_type;  // of an OCI layer
  std::string_view extension;   // of a layer file: ".tar.gz"
  std::string_view format;      // what the bytes depend on: part of every layer cache key
};

const CompressionInfo& compression_info(Compression c);
// "gzip" or "zstd"; nullopt for anything else.
std::optional<Compression> parse_compression(std::string_view name);

class CompressingTee {
 public:
  virtual ~CompressingTee() = default;
  virtual void write(const void* data, size_t size) = 0;
  // Compresses what is left, flushes and closes the file; no writes afterwards.
  virtual BlobDigests finish() = 0;
};

// Creates FILE. THREADS: compressing threads; 0: one per CPU. The bytes never
// depend on THREADS.
std::unique_ptr<CompressingTee> open_compressing_tee(const std::filesystem::path& file, Compression c,
                                                     unsigned threads = 0);

}  // namespace xb::oci
