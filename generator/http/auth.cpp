#include "http/auth.h"

namespace xb::http {

bool may_send(const Credential& credential, const std::string& url) {
  auto origin = origin_of(url);
  return origin && *origin == credential.origin;
}

Response AuthTransport::round_trip(const Request& request) {
  if (!request.credential || may_send(*request.credential, request.url)) return inner_.round_trip(request);
  Request bare = request;
  bare.credential.reset();
  return inner_.round_trip(bare);
}

}  // namespace xb::http
