#include "oci/compression.h"

#include <cerrno>
#include <cstring>

#include "oci/gzip_tee.h"
#include "oci/media_types.h"
#include "oci/tee_file.h"
#include "oci/zstd_tee.h"
#include "util/error.h"

namespace xb::oci {

namespace {
// One line per compression.
const CompressionInfo kCompressions[] = {
    {Compression::gzip, "gzip", kLayerGzip, ".tar.gz", kGzipFormat},
    {Compression::zstd, "zstd", kLayerZstd, ".tar.zst", kZstdFormat},
};
}  // namespace

const CompressionInfo& compression_info(Compression c) {
  for (const auto& info : kCompressions)
    if (info.compression == c) return info;
  return kCompressions[0];
}

std::optional<Compression> parse_compression(std::string_view name) {
  for (const auto& info : kCompressions)
    if (info.name == name) return info.compression;
  return std::nullopt;
}

void close_compressed_file(FILE*& file, const std::filesystem::path& path) {
  FILE* f = file;
  file = nullptr;
  if (std::fflush(f) != 0 || std::fclose(f) != 0)
    fail_runtime("cannot write " + path.string() + ": " + std::strerror(errno));
}

std::unique_ptr<CompressingTee> open_compressing_tee(const std::filesystem::path& file, Compression c,
                                                     unsigned threads) {
  if (c == Compression::zstd) return std::make_unique<ZstdTee>(file, threads);
  return std::make_unique<GzipTee>(file, GzipOptions{threads});
}

}  // namespace xb::oci
