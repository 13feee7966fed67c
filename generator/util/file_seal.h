// What stat() says of a file at the moment its bytes were verified. A cache
// entry whose seal still matches has not been replaced or rewritten since, so
// it is used without hashing it again (git trusts its index the same way); a
// different seal (a copied or restored cache, an edit) means hash again.
//
// A seal does not catch bit rot under an unchanged inode and mtime: cache
// files are read-only and only ever written whole by rename, so that is
// left to the file system, as Go's module cache and containerd's store do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

namespace xb {

struct FileSeal {
  uint64_t dev = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileSeal&) const = default;
};

// nullopt when PATH can't be stat()ed or is not a regular file.
std::optional<FileSeal> seal_of(const std::filesystem::path& path);

// Whether PATH is still the file SEALED (a JSON seal; anything else is false).
bool seal_matches(const std::filesystem::path& path, const nlohmann::json& sealed);

void to_json(nlohmann::json& j, const FileSeal& s);
void from_json(const nlohmann::json& j, FileSeal& s);

}  // namespace xb
