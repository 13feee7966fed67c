// The layer that keeps credentials where they belong: a request's
// credential goes only to the (scheme, host, port) it was issued for. A
// redirect to storage, an upload Location on another host or port, or a
// switch of scheme gets the request without it.
#pragma once

#include "http/transport.h"

namespace xb::http {

class AuthTransport : public Transport {
 public:
  explicit AuthTransport(Transport& inner) : inner_(inner) {}
  Response round_trip(const Request& request) override;

 private:
  Transport& inner_;
};

// Whether CREDENTIAL may be sent to URL.
bool may_send(const Credential& credential, const std::string& url);

}  // namespace xb::http
