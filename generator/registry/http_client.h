// A small libcurl client for the distribution API: one easy handle per
// client (so connections are reused), bodies from memory or a file range,
// response bodies to memory or streamed to a sink.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace xb::registry {

struct TlsOptions {
  std::string ca_file;  // extra CA bundle (PEM); empty: the system's
  bool verify = true;   // false only for a registry named with --insecure-registry
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // sent as is, unless body_fd >= 0
  int body_fd = -1;                  // or this file's bytes [body_offset, body_offset + body_length)
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // When set, a 2xx response body goes here instead of HttpResponse::body.
  std::function<void(std::string_view)> sink;
  bool follow_redirects = false;     // blob GETs are redirected to storage
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;

  // The first header named NAME (lowercase), or "".
  std::string header(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
};

// The server could not be reached or the connection broke: may be retried.
class TransportError : public Error {
 public:
  TransportError(std::string message, std::string reason, int curl_code, bool tls)
      : Error(ExitCode::runtime, std::move(message)), reason_(std::move(reason)), curl_code_(curl_code), tls_(tls) {}
  // curl's words alone, without the URL: "Connection reset by peer".
  const std::string& reason() const { return reason_; }
  int curl_code() const { return curl_code_; }
  bool tls() const { return tls_; }  // the TLS handshake or certificate failed

 private:
  std::string reason_;
  int curl_code_;
  bool tls_;
};

class HttpClient {
 public:
  explicit HttpClient(TlsOptions tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Throws TransportError when no HTTP response came back.
  HttpResponse send(const HttpRequest& request);
  // Request body bytes handed to the network so far (uploads, manifests).
  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  TlsOptions tls_;
  uint64_t bytes_sent_ = 0;
};

}  // namespace xb::registry
