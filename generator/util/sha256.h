// Streaming SHA-256 (OpenSSL EVP), so large files are hashed as they pass.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace xb {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // 64 lowercase hex digits. The object can not be updated afterwards.
  std::string hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
// Throws xb::Error (runtime) naming the path when it can not be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace xb
