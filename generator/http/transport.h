// The one HTTP layer of xraybake: a request, its response, and the
// Transport interface that the layers stack on (as go-containerregistry's
// transports do):
//
//   Client (client.h)           redirects: relative Locations, never https -> http
//    -> RetryTransport (retry.h) one retry policy: backoff + jitter, Retry-After, resume by Range
//     -> AuthTransport (auth.h)  the credential only to its (scheme, host, port)
//      -> CurlTransport (curl_transport.h)  libcurl: TLS, proxies, stall limit, deadline, body caps
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/url.h"
#include "util/error.h"

namespace xb::http {

// Body limits when nothing declares a size (docs/network.md).
inline constexpr uint64_t kManifestLimit = 4u << 20;  // manifests, indexes, configs read into memory
inline constexpr uint64_t kTokenLimit = 1u << 20;     // token endpoint answers
inline constexpr uint64_t kErrorBodyLimit = 64u << 10; // what is kept of a non-2xx body

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;   // unless the request had a sink (2xx bodies go there)
  std::string url;    // the URL that answered (after redirects)
  int attempts = 1;   // how many tries the retry layer made

  // The first header named NAME (lowercase), or "".
  std::string header(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  // The Location header resolved against url (RFC 3986); "" when absent.
  std::string location() const;
};

// An Authorization header value and the only origin it may be sent to.
struct Credential {
  Origin origin;
  std::string authorization;  // "Bearer ...", "Basic ..."
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; never Authorization (see credential)
  std::optional<Credential> credential;
  std::string_view body;             // sent as is, unless body_fd >= 0
  int body_fd = -1;                  // or this file's bytes [body_offset, body_offset + body_length)
  uint64_t body_offset = 0;
  uint64_t body_length = 0;

  // A 2xx body goes here instead of Response::body. Resumable: after a
  // broken transfer the retry layer asks for the rest with Range.
  std::function<void(std::string_view)> sink;
  // Bytes the sink already holds (a download an earlier run left): the first
  // attempt asks for the rest.
  uint64_t resume_from = 0;
  // Drops what the sink holds, for a server that ignores Range. Without it a
  // transfer that broke after its first bytes is not retried.
  std::function<void()> rewind;

  // The 2xx body may not be larger (0: kManifestLimit for memory bodies,
  // unlimited for a sink); LIMIT_WHAT says where the limit comes from.
  uint64_t max_body = 0;
  std::string limit_what;  // "the 512 bytes its descriptor declares"
  // A body past max_body: runtime unless the limit is a pin (then it is other
  // bytes than the pinned ones, bad input, with LIMIT_HINT saying what to do).
  ExitCode limit_code = ExitCode::runtime;
  std::string limit_hint;

  bool follow_redirects = false;
  bool allow_file = false;           // file:// URLs (the daemon download)
  // Whether sending it twice does no harm: GET, HEAD, PUT, DELETE by default.
  // Other requests are retried only when the server did not process them
  // (no connection, 408, 429).
  std::optional<bool> idempotent;
  int max_attempts = 0;              // 0: 1 + NetSettings::retries
  std::string label;                 // prefix of log lines ("amd64")
  // Called with bytes received so far in this attempt and the size announced (0: unknown).
  std::function<void(uint64_t now, uint64_t total)> progress;

  // Set by the retry layer: when the whole request must be done, and the
  // first byte wanted (Range: bytes=N-).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  uint64_t range_from = 0;
  // Called once the final response's status and headers are in, before its
  // body; throwing stops the transfer (the exception is rethrown).
  std::function<void(const Response&)> on_head;

  bool is_idempotent() const {
    if (idempotent) return *idempotent;
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
  }
};

// No HTTP response came back (or the transfer broke): KIND says whether
// another attempt may help.
class TransportError : public Error {
 public:
  enum class Kind {
    connect,   // nothing reached the server: refused, unresolvable
    broken,    // the connection broke or stalled mid-request
    deadline,  // XRAYBAKE_REQUEST_TIMEOUT passed
    tls,       // handshake or certificate
    other,     // bad URL, unsupported scheme, missing file: trying again cannot help
  };
  TransportError(std::string message, std::string reason, Kind kind, int curl_code, std::string hint = {})
      : Error(ExitCode::runtime, std::move(message), std::move(hint)), reason_(std::move(reason)), kind_(kind),
        curl_code_(curl_code) {}
  // curl's words alone, without the URL: "Connection reset by peer".
  const std::string& reason() const { return reason_; }
  Kind kind() const { return kind_; }
  int curl_code() const { return curl_code_; }
  bool tls() const { return kind_ == Kind::tls; }
  int attempts = 1;

 private:
  std::string reason_;
  Kind kind_;
  int curl_code_;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // One exchange (no redirects followed). Throws TransportError when no
  // response came back, xb::Error when a body passed its limit.
  virtual Response round_trip(const Request& request) = 0;
};

}  // namespace xb::http
