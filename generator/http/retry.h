// The one retry policy of every request xraybake makes (docs/network.md):
//
// - tried again: a connection that could not be made, 408 and 429 (the
//   server did not act on the request) for every request; a connection that
//   broke or stalled, and 5xx, for idempotent requests (GET, HEAD, PUT, or
//   one marked so);
// - never: TLS failures, other 4xx, a body past its limit, the deadline;
// - waiting: exponential backoff with jitter (backoff.h), or the server's
//   Retry-After (seconds or an HTTP date) when longer, capped;
// - a streamed body (Request::sink) that broke continues with Range where it
//   stopped; a server that ignores Range starts it again (Request::rewind);
// - the whole request, waits included, ends at its deadline
//   (XRAYBAKE_REQUEST_TIMEOUT).
#pragma once

#include <random>

#include "http/net_settings.h"
#include "http/transport.h"

namespace xb::http {

class RetryTransport : public Transport {
 public:
  RetryTransport(Transport& inner, NetSettings settings);
  Response round_trip(const Request& request) override;

 private:
  Transport& inner_;
  NetSettings settings_;
  std::mt19937 rng_;
};

// Whether STATUS may be tried again for a request (idempotent or not).
bool retryable_status(long status, bool idempotent);

}  // namespace xb::http
