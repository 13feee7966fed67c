// An image in a registry as an ImageSource (oci/image_source.h): manifests
// by tag or digest, verified against the digest, small blobs (configs), and
// the referrers of a manifest through the distribution spec 1.1 referrers
// API, or, where the registry has none, its sha256-<hex> referrers tag.
// Nothing is cached and no layer is downloaded.
#pragma once

#include <string>
#include <vector>

#include "oci/image_source.h"
#include "registry/options.h"
#include "registry/reference.h"
#include "registry/session.h"

namespace xb::registry {

// GET /v2/REPO/manifests/IDENTIFIER over SESSION: the body verified against
// DIGEST (or the registry's Docker-Content-Digest when DIGEST is empty),
// bounded by SIZE when it is known (>= 0), else by oci::kDocumentLimit. A
// missing tag or manifest is an error naming the reference.
oci::Document get_manifest(Session& session, const Reference& ref, const std::vector<std::string>& scopes,
                           const std::string& identifier, const std::string& digest, int64_t size = -1);

class RemoteSource : public oci::ImageSource {
 public:
  RemoteSource(Reference ref, const RegistryOptions& options);

  std::string describe() const override { return ref_.str(); }
  oci::Document root() override;
  oci::Document manifest(const std::string& digest, int64_t size) override;
  oci::Document blob(const std::string& digest, int64_t size) override;
  nlohmann::json referrers(const std::string& subject, std::string& how) override;

 private:
  Reference ref_;
  Session session_;
  std::vector<std::string> scopes_;
};

}  // namespace xb::registry
