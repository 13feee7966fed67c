// Getting the daemon .deb for every platform of a descriptor: download
// (libcurl), verify (sha256 pin from the descriptor or xraybake.lock), cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "descriptor/descriptor.h"

namespace xb {

struct FetchOptions {
  std::string cache_dir;
  bool offline = false;  // cache only
  bool locked = false;   // refuse a missing or different pin
};

struct FetchedDeb {
  std::string arch;                 // "amd64"
  std::string url;                  // the expanded URL it came from
  std::string sha256;               // 64 hex, verified
  uint64_t size = 0;
  std::filesystem::path path;       // the verified file in the cache (read-only)
};

// One entry per platform, in the descriptor's order. Writes/updates
// xraybake.lock beside the descriptor when a pin was missing.
std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const FetchOptions& options);

}  // namespace xb
