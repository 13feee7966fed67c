// The bottom of the HTTP stack: one libcurl easy handle (connections are
// reused), bodies from memory or a file range, response bodies to memory or
// a sink, each capped; TLS always verified unless settings say otherwise;
// the stall limit and the request's deadline. No redirects, no retries.
#pragma once

#include <cstdint>
#include <memory>

#include "http/net_settings.h"
#include "http/transport.h"

namespace xb::http {

class CurlTransport : public Transport {
 public:
  explicit CurlTransport(NetSettings settings);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Response round_trip(const Request& request) override;
  // Request body bytes handed to the network so far (uploads, manifests).
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  NetSettings settings_;
  uint64_t bytes_sent_ = 0;
};

}  // namespace xb::http
