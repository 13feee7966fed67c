// Where an image is read from, as go-containerregistry's v1 reads either a
// layout or a registry: the document a reference names, manifests and small
// blobs (configs) by digest, verified, and the referrers of a manifest (the
// OCI 1.1 artifacts about it). oci/layout_source.h reads a layout on disk,
// registry/remote_source.h a registry; what reads an image (xraybake inspect)
// knows neither.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace xb::oci {

struct Document {
  std::string body;        // the bytes, as they are (their digest is DIGEST)
  std::string media_type;  // its mediaType, or what the source said it is
  std::string digest;
};

// Manifests, indexes and configs are small: a source refuses more than this.
inline constexpr uint64_t kDocumentLimit = 4 << 20;

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // The reference as a user would write it again ("oci:out/oci:1.4.2", "localhost:5000/orders-api:1.4.2").
  virtual std::string describe() const = 0;
  // The index or manifest the reference names.
  virtual Document root() = 0;
  // The manifest or index DIGEST, and a small blob (a config); SIZE as the
  // descriptor declares it (< 0: unknown) bounds what is read. Bad or
  // missing content is an error.
  virtual Document manifest(const std::string& digest, int64_t size) = 0;
  virtual Document blob(const std::string& digest, int64_t size) = 0;
  // The referrers of the manifest SUBJECT, as the referrers API lists them:
  // an image index (empty manifests when there are none). HOW says where
  // they were found ("the referrers API", "the sha256-<hex> tag", ...).
  virtual nlohmann::json referrers(const std::string& subject, std::string& how) = 0;
};

}  // namespace xb::oci
