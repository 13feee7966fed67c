// What `xraybake cache ls | verify | clean` do to the cache (fetch/cache.h,
// build/layer_cache.h, the registry's blobs beside them).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xb {

struct CacheItem {
  std::string kind;     // "deb" (a blob a URL gave), "blob" (another blob: a registry's), "layer"
  std::filesystem::path path;
  std::string digest;   // "sha256:<hex>"
  uint64_t size = 0;
  std::string url;      // deb: redacted
  std::string version;  // deb, layer: the daemon's
  std::filesystem::file_time_type last_used;  // the file's mtime: set on every use
};

// Every blob and layer, sorted by path.
std::vector<CacheItem> list_cache(const std::filesystem::path& root);

struct CacheCheck {
  size_t checked = 0;
  std::vector<std::string> removed;  // what was bad, and why
};

// Hashes every blob and layer again; removes those that do not match their
// digest (or are not plain files) with what names them.
CacheCheck verify_cache(const std::filesystem::path& root);

// Removes everything the cache holds, or only what was last used longer than
// OLDER_THAN ago. Returns how many files went.
size_t clean_cache(const std::filesystem::path& root, std::optional<std::chrono::seconds> older_than);

}  // namespace xb
