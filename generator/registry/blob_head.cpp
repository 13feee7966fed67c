#include "registry/blob_head.h"

#include <cstdlib>

#include "registry/reference.h"
#include "registry/session.h"
#include "util/error.h"

namespace xb::registry {

std::optional<uint64_t> blob_size(const std::string& repository, const std::string& digest,
                                  const RegistryOptions& options) {
  const Reference ref = parse_repository(repository);
  auto session = open_session(ref.registry, options);
  http::Request head;
  head.method = "HEAD";
  head.url = "/v2/" + ref.repository + "/blobs/" + digest;
  http::Response r = session->send(head, {"repository:" + ref.repository + ":pull"});
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail_runtime("HEAD " + session->url(head.url) + ": " + registry_error_text(r));
  const std::string length = r.header("content-length");
  char* end = nullptr;
  const unsigned long long n = std::strtoull(length.c_str(), &end, 10);
  if (length.empty() || *end) fail_runtime("HEAD " + session->url(head.url) + ": no Content-Length in the answer");
  return static_cast<uint64_t>(n);
}

}  // namespace xb::registry
