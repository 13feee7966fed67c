// The top of the HTTP stack (transport.h): follows redirects hop by hop, so
// that every hop goes through the retry and credential layers: a relative
// Location is resolved against the URL it answered (RFC 3986), an
// https -> http redirect is refused, and a credential never follows a
// redirect to another origin. One deadline (XRAYBAKE_REQUEST_TIMEOUT) covers
// the whole chain of hops, not each hop.
#pragma once

#include <cstdint>
#include <memory>

#include "http/auth.h"
#include "http/curl_transport.h"
#include "http/net_settings.h"
#include "http/retry.h"
#include "http/transport.h"

namespace xb::http {

class Client {
 public:
  explicit Client(NetSettings settings);

  // Throws TransportError when no response came back (after the retries),
  // xb::Error for a refused redirect or a body past its limit.
  Response send(const Request& request);
  const NetSettings& settings() const { return settings_; }
  uint64_t bytes_sent() const { return curl_.bytes_sent(); }

 private:
  NetSettings settings_;
  CurlTransport curl_;
  AuthTransport auth_;
  RetryTransport retry_;
};

}  // namespace xb::http
