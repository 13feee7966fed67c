// Deterministic layer tarballs (tar+gzip, or tar+zstd): sorted entries, every parent
// directory present with an explicit mode, numeric owners only, one mtime
// for all (SOURCE_DATE_EPOCH or 0), ustar headers (pax records only for what
// ustar cannot hold; never atime or ctime). File contents may be streamed,
// so memory does not grow with them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "oci/compression.h"

namespace xb::oci {

struct LayerEntry {
  enum class Type { file, directory, symlink };
  std::string path;  // inside the image: "/usr/bin/xray" (a leading '/' is optional)
  Type type = Type::file;
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string data;  // a file's content, or a symlink's target
  // A file streamed instead of `data`: exactly `size` bytes, read until it returns 0.
  uint64_t size = 0;
  std::function<size_t(char* buf, size_t cap)> stream;
};

// Writes FILE (tar+gzip, or as COMPRESSION says). Missing parent directories are added (0755, root).
// Throws xb::Error(bad_input) for a path that is not clean ("..", empty) or
// listed twice with different attributes.
BlobDigests write_layer(const std::filesystem::path& file, std::vector<LayerEntry> entries, int64_t mtime,
                        Compression compression = Compression::gzip);

}  // namespace xb::oci
