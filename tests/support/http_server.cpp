#include "support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace xb::test {

std::string Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

Handler in_order(std::vector<Response> responses) {
  if (responses.empty()) throw std::invalid_argument("in_order: no responses");
  auto shared = std::make_shared<std::vector<Response>>(std::move(responses));
  return [shared](const Request& req) {
    return (*shared)[std::min(req.index, shared->size() - 1)];
  };
}

Handler always(std::string body) {
  return [body = std::move(body)](const Request&) { return Response::bytes(body); };
}

Handler always_status(int status, std::vector<std::pair<std::string, std::string>> headers) {
  return [status, headers = std::move(headers)](const Request&) { return Response::status_only(status, headers); };
}

struct HttpServer::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

namespace {

// One accepted connection, plain or TLS.
class Conn {
 public:
  Conn(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Conn() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
  }
  // Bytes read, 0 on EOF or error.
  size_t read(char* buf, size_t n) {
    if (ssl_) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      return r > 0 ? static_cast<size_t>(r) : 0;
    }
    for (;;) {
      ssize_t r = ::recv(fd_, buf, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r > 0 ? static_cast<size_t>(r) : 0;
    }
  }
  bool write_all(const char* data, size_t n) {
    while (n > 0) {
      ssize_t w;
      if (ssl_) {
        int r = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(n, 1 << 20)));
        w = r > 0 ? r : -1;
      } else {
        w = ::send(fd_, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
      }
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  bool write_all(const std::string& s) { return write_all(s.data(), s.size()); }

 private:
  int fd_;
  SSL* ssl_;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Parses "bytes=N-" / "bytes=N-M"; returns false for anything else.
bool parse_range(const std::string& value, size_t& start) {
  if (value.rfind("bytes=", 0) != 0) return false;
  std::string spec = value.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string::npos || dash == 0) return false;
  try {
    start = std::stoull(spec.substr(0, dash));
  } catch (...) {
    return false;
  }
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

HttpServer::HttpServer(Handler handler) : handler_(std::move(handler)), impl_(std::make_unique<Impl>()) {
  // SSL_write has no MSG_NOSIGNAL: a client that hangs up mid-body must not
  // kill the whole test binary with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("bind/listen: " + std::string(std::strerror(errno)));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpServer::HttpServer(Handler handler, TlsIdentity tls) : HttpServer(std::move(handler)) {
  tls_ = true;
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  auto fail = [&](const char* what) {
    ERR_print_errors_fp(stderr);
    throw std::runtime_error(std::string("TLS setup: ") + what);
  };
  if (!ctx) fail("SSL_CTX_new");
  impl_->ctx = ctx;
  BIO* cert_bio = BIO_new_mem_buf(tls.cert_pem.data(), static_cast<int>(tls.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(tls.key_pem.data(), static_cast<int>(tls.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  bool ok = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) fail("certificate or key");
}

HttpServer::~HttpServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  char c = 'x';
  [[maybe_unused]] auto n = ::write(wake_pipe_[1], &c, 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

std::string HttpServer::url(const std::string& path) const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + path;
}

size_t HttpServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<Request> HttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (stopping_ || (fds[1].revents & POLLIN)) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    ++connections_;
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve_connection(fd); });
  }
}

// CONNECT host:port (loopback only): answer 200, then relay bytes both ways
// until either side closes, as an HTTPS proxy does.
void HttpServer::tunnel(int client, const std::string& target, const std::string& pending) {
  auto colon = target.rfind(':');
  std::string host = target.substr(0, colon);
  if (colon == std::string::npos || (host != "127.0.0.1" && host != "localhost")) {
    const char refuse[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    ::send(client, refuse, sizeof refuse - 1, MSG_NOSIGNAL);
    return;
  }
  int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const char fail[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
    ::send(client, fail, sizeof fail - 1, MSG_NOSIGNAL);
    ::close(upstream);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    open_fds_.push_back(upstream);  // so stopping the server wakes this relay too
  }
  const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
  bool alive = ::send(client, ok, sizeof ok - 1, MSG_NOSIGNAL) > 0 &&
               (pending.empty() || ::send(upstream, pending.data(), pending.size(), MSG_NOSIGNAL) > 0);
  char chunk[16384];
  while (alive && !stopping_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2 && alive; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::recv(fds[i].fd, chunk, sizeof chunk, 0);
      alive = n > 0 && ::send(fds[1 - i].fd, chunk, static_cast<size_t>(n), MSG_NOSIGNAL) == n;
    }
  }
  std::lock_guard lock(mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), upstream), open_fds_.end());
  ::close(upstream);
}

void HttpServer::serve_connection(int fd) {
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(impl_->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {  // e.g. the client refused the certificate
      SSL_free(ssl);
      ssl = nullptr;
    }
  }
  auto finish = [&] {
    std::lock_guard lock(mutex_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    ::close(fd);
  };
  if (tls_ && !ssl) return finish();
  {
    Conn conn(fd, ssl);
    std::string buf;
    char chunk[16384];
    bool open = true;
    while (open && !stopping_) {
      // Headers.
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        size_t n = conn.read(chunk, sizeof chunk);
        if (n == 0) {
          open = false;
          break;
        }
        buf.append(chunk, n);
        if (!tls_ && buf[0] == '\x16') {
          // A TLS ClientHello on the plain server: answer as Go's net/http does, at once.
          conn.write_all("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
          open = false;
          break;
        }
      }
      if (!open) break;
      Request req;
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
      req.method = first.substr(0, sp1);
      req.target = sp2 > sp1 ? first.substr(sp1 + 1, sp2 - sp1 - 1) : "";
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos)
          req.headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
        pos = e + 2;
      }
      // Body (Content-Length only: test clients send nothing chunked).
      size_t length = 0;
      if (auto cl = req.header("content-length"); !cl.empty()) length = std::stoull(cl);
      while (buf.size() < length) {
        size_t n = conn.read(chunk, sizeof chunk);
        if (n == 0) break;
        buf.append(chunk, n);
      }
      req.body = buf.substr(0, std::min(length, buf.size()));
      buf.erase(0, req.body.size());
      {
        std::lock_guard lock(mutex_);
        req.index = requests_.size();
        requests_.push_back(req);
      }

      Response res = handler_(req);
      if (req.method == "CONNECT" && res.status == 200 && !tls_) {
        tunnel(fd, req.target, buf);
        break;
      }
      int status = res.status;
      std::string body = res.body;
      std::string extra;
      size_t start = 0;
      if (status == 200 && res.honour_range && parse_range(req.header("range"), start)) {
        if (start >= res.body.size()) {
          status = 416;
          extra = "Content-Range: bytes */" + std::to_string(res.body.size()) + "\r\n";
          body.clear();
        } else {
          status = 206;
          extra = "Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(res.body.size() - 1) + "/" +
                  std::to_string(res.body.size()) + "\r\n";
          body = res.body.substr(start);
        }
      }
      bool misbehave = res.drop_after != kNever || res.stall_after != kNever;
      std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
      out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      if (res.honour_range) out += "Accept-Ranges: bytes\r\n";
      out += extra;
      for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
      if (misbehave || lower(req.header("connection")) == "close") out += "Connection: close\r\n";
      out += "\r\n";
      if (!conn.write_all(out)) break;
      if (req.method == "HEAD") continue;
      size_t limit = std::min({body.size(), res.drop_after, res.stall_after});
      bool sent = true;
      for (size_t off = 0; sent && off < limit;) {
        size_t n = res.trickle_bytes ? std::min(res.trickle_bytes, limit - off) : limit - off;
        sent = conn.write_all(body.data() + off, n);
        off += n;
        if (res.trickle_bytes && off < limit) {
          std::unique_lock lock(mutex_);
          if (stop_cv_.wait_for(lock, res.trickle_every, [this] { return stopping_.load(); })) sent = false;
        }
      }
      if (!sent) break;
      if (res.stall_after != kNever && limit < body.size()) {
        std::unique_lock lock(mutex_);
        stop_cv_.wait_for(lock, res.stall_for, [this] { return stopping_.load(); });
        break;
      }
      if (misbehave || lower(req.header("connection")) == "close") break;
    }
  }  // Conn shuts TLS down before the socket closes
  finish();
}

}  // namespace xb::test
