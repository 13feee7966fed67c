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
  std::string ca_bundle; // --ca-bundle; else XRAYBAKE_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE
};

struct FetchedDeb {
  std::string arch;                 // "amd64"
  std::string url;                  // the expanded URL it came from
  std::string sha256;               // 64 hex, verified
  uint64_t size = 0;
  std::filesystem::path path;       // the verified file in the cache (read-only)
  bool downloaded = false;          // false: it was already in the cache
};

// One entry per platform, in the descriptor's order. Writes/updates
// xraybake.lock beside the descriptor when a pin was missing (see lockfile.h;
// the cache layout is in cache.h, network settings in net_settings.h).
// Errors (xb::Error): bad_input (2) for a digest or signature mismatch, a
// missing pin with --locked, a bad URL; runtime (1) for network failures,
// 404/403, and a cache miss with --offline.
std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const FetchOptions& options);

}  // namespace xb
