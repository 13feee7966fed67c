// What the compressing tees (gzip_tee, zstd_tee) share of their output file.
#pragma once

#include <cstdio>
#include <filesystem>

namespace xb::oci {

// A tee's finish(): flushes and closes FILE (set to null), or fails naming PATH.
void close_compressed_file(FILE*& file, const std::filesystem::path& path);

}  // namespace xb::oci
