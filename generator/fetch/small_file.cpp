#include "fetch/small_file.h"

#include "http/client.h"
#include "util/error.h"
#include "util/redact.h"

namespace xb {

SmallFile get_small_file(const std::string& url, const NetSettings& net, uint64_t limit, const std::string& limit_what,
                         const std::string& what, const std::string& hint) {
  http::Client client(net);
  http::Request get;
  get.url = url;
  get.follow_redirects = true;
  get.allow_file = true;
  get.max_body = limit;
  get.limit_what = limit_what;
  http::Response r;
  try {
    r = client.send(get);
  } catch (const http::TransportError& e) {
    fail_runtime("cannot download " + what + " " + redact_url(url) + ": " + e.reason(), hint);
  }
  return {r.status, std::move(r.body)};
}

}  // namespace xb
