// OCI content digests ("sha256:<64 lower-case hex>"): the one place that
// makes them and says whether a string is one. Layouts, pulls, pushes and the
// blob store all check content with these.
#pragma once

#include <string>
#include <string_view>

#include "util/sha256.h"
#include "util/strings.h"

namespace xb::oci {

inline constexpr std::string_view kSha256Prefix = "sha256:";

// The digest of BYTES.
inline std::string digest_of(std::string_view bytes) { return std::string(kSha256Prefix) + sha256_hex(bytes); }

// The digest of bytes that arrive in pieces.
class Digester {
 public:
  void update(std::string_view chunk) { hash_.update(chunk); }
  std::string digest() { return std::string(kSha256Prefix) + hash_.hex(); }  // once

 private:
  Sha256 hash_;
};

// Whether TEXT is a digest this library reads: sha256 and 64 lower-case hex
// digits, nothing else (so it can never name a path outside blobs/).
inline bool is_digest(std::string_view text) {
  return text.starts_with(kSha256Prefix) && is_sha256_hex(text.substr(kSha256Prefix.size()));
}

}  // namespace xb::oci
