// A scriptable HTTP/1.1 server on 127.0.0.1 for tests: real sockets, plain or
// TLS (OpenSSL), one thread per connection, keep-alive. Each request is
// answered by a Handler that returns a Response describing what to send and
// how to misbehave (ignore Range, drop the connection, stall). Every request
// is recorded so tests can assert what the client sent.
//
//   xb::test::HttpServer server(xb::test::in_order({
//       xb::test::Response::status_only(500),
//       xb::test::Response::bytes(payload),
//   }));
//   download(server.url("/daemon.deb"));
//   EXPECT_EQ(server.request_count(), 2u);
//   EXPECT_EQ(server.requests()[1].header("range"), "");
//
// A request whose target is an absolute URL ("GET http://host/x HTTP/1.1") is
// served like any other, so the server also stands in for an HTTP proxy. A
// plain server whose handler answers "CONNECT 127.0.0.1:PORT" with 200 opens
// that tunnel (loopback targets only), so it also stands in for HTTPS_PROXY.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace xb::test {

inline constexpr size_t kNever = std::numeric_limits<size_t>::max();

struct Request {
  std::string method;   // "GET"
  std::string target;   // "/daemon.deb", or "http://host/x" through a proxy
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;
  size_t index = 0;     // 0 for the first request the server received

  // The value of header NAME (lowercase), "" when absent.
  std::string header(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  // A request with "Range: bytes=N-" gets 206 + Content-Range and body[N..];
  // false answers the whole body with 200, as a server without Range does.
  bool honour_range = true;
  // Close the connection after this many body bytes (of what this response
  // sends, i.e. after the Range offset), announcing the full Content-Length.
  size_t drop_after = kNever;
  // Stop sending after this many body bytes and hold the connection open for
  // stall_for (or until the server stops), then close it.
  size_t stall_after = kNever;
  std::chrono::milliseconds stall_for{std::chrono::seconds(60)};
  // Send the body TRICKLE_BYTES at a time, one piece every TRICKLE_EVERY:
  // slow but never stalled.
  size_t trickle_bytes = 0;
  std::chrono::milliseconds trickle_every{0};

  static Response bytes(std::string body) {
    Response r;
    r.body = std::move(body);
    return r;
  }
  // BODY announced in full, but the connection closes after AFTER bytes.
  static Response dropped(std::string body, size_t after) {
    Response r = bytes(std::move(body));
    r.drop_after = after;
    return r;
  }
  // BODY sent BYTES at a time, one piece every EVERY.
  static Response trickled(std::string body, size_t bytes, std::chrono::milliseconds every) {
    Response r = Response::bytes(std::move(body));
    r.trickle_bytes = bytes;
    r.trickle_every = every;
    return r;
  }
  // BODY announced in full, but sending stops after AFTER bytes (see stall_for).
  static Response stalled(std::string body, size_t after) {
    Response r = bytes(std::move(body));
    r.stall_after = after;
    return r;
  }
  static Response status_only(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = "status " + std::to_string(status) + "\n";
    return r;
  }
};

using Handler = std::function<Response(const Request&)>;

// Request i gets responses[i]; the last one answers every later request.
Handler in_order(std::vector<Response> responses);
// Every request gets the same bytes (Range honoured).
Handler always(std::string body);
// Every request gets STATUS with a short text body.
Handler always_status(int status, std::vector<std::pair<std::string, std::string>> headers = {});

// PEM certificate and key for the TLS mode (see tls_cert.h to make one).
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};

class HttpServer {
 public:
  // Listens on 127.0.0.1 on a free port at once; plain HTTP, or HTTPS with tls.
  explicit HttpServer(Handler handler);
  HttpServer(Handler handler, TlsIdentity tls);
  ~HttpServer();  // stops: closes every connection, joins every thread
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" + path ("https://localhost:PORT" + path with TLS,
  // so the host name matches the certificate).
  std::string url(const std::string& path = "/") const;

  size_t request_count() const;
  std::vector<Request> requests() const;  // a copy, in arrival order
  size_t connection_count() const { return connections_.load(); }

 private:
  struct Impl;
  void accept_loop();
  void serve_connection(int fd);
  void tunnel(int client, const std::string& target, const std::string& pending);

  Handler handler_;
  std::unique_ptr<Impl> impl_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  bool tls_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  std::vector<Request> requests_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace xb::test
