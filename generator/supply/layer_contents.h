// What a layer tarball holds, read back from the file xraybake wrote (not
// from what it meant to write): every regular file with its size, SHA-256
// and SHA-1 (SPDX 2.3 wants a SHA-1 for each file). The SBOM lists these.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace xb::supply {

struct LayerFileInfo {
  std::string path;  // absolute in the image: "/usr/bin/xray"
  uint64_t size = 0;
  std::string sha256;  // hex
  std::string sha1;    // hex
};

// The regular files of the tar+gzip (or tar+zstd) LAYER, in the tarball's (sorted) order.
// Throws xb::Error(runtime) when it can not be read.
std::vector<LayerFileInfo> layer_contents(const std::filesystem::path& layer);

}  // namespace xb::supply
