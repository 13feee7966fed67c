// Test helpers for registry tests: Debian's docker-registry on loopback
// (optionally with htpasswd auth and TLS from a CA made at test time), shell
// commands, and a TCP proxy that breaks one connection mid-transfer.
// Header-only so both the library tests and the integration tests use it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::regtest {

using test::TempDir;

namespace fs = std::filesystem;

struct ShellResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs COMMAND with /bin/sh, capturing stdout and stderr together.
inline ShellResult shell(const std::string& command) {
  ShellResult r;
  FILE* p = ::popen(("(" + command + ") 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

struct RegistryServerOptions {
  std::string user;      // non-empty: htpasswd auth with this user
  std::string password;
  bool tls = false;      // serve HTTPS with a certificate from a fresh CA (ca_file())
  bool token = false;    // with user: Bearer tokens from tests/registry/token_server.py instead of htpasswd
};

// Starts ARGV with stdout and stderr appended to LOG; returns the pid.
inline pid_t spawn(const std::vector<std::string>& argv, const fs::path& log,
                   const std::vector<std::string>& env = {}) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "a", stdout);
    std::freopen(log.c_str(), "a", stderr);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Whether PID itself listens on TCP PORT (/proc/net/tcp and its fds): a port
// free_port() picked may be taken by another test's server before PID binds
// it, and a connect() would then reach the wrong server.
inline bool listens(pid_t pid, int port) {
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, ":%04X", port);
  std::vector<std::string> sockets;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the header
  while (std::getline(tcp, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    f >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    if (state == "0A" && std::string_view(local).ends_with(suffix)) sockets.push_back("socket:[" + inode + "]");
  }
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    auto target = fs::read_symlink(fd.path(), ec);
    if (!ec && std::find(sockets.begin(), sockets.end(), target.string()) != sockets.end()) return true;
  }
  return false;
}

// Starts ARGV(port) on a free port until it is the one listening there (up to
// 5 ports, 30 s each); returns the pid and sets PORT. A server that lost its
// port to another process exits or never listens: it is killed, and the next
// port tried.
template <class Argv>
pid_t start_listening(Argv argv, int& port, const fs::path& log, const std::vector<std::string>& env = {}) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port = free_port();
    pid_t pid = spawn(argv(port), log, env);
    for (int i = 0; i < 600; ++i) {
      if (listens(pid, port)) return pid;
      if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return -1;
}

// docker-registry serving a temp directory on 127.0.0.1:<free port>.
class RegistryServer {
 public:
  explicit RegistryServer(RegistryServerOptions o = {}) : options_(std::move(o)) {
    std::string tls, cfg;  // the http section's TLS lines; what follows it
    if (options_.tls) {
      make_certificates();
      tls = "  tls:\n    certificate: " + (dir_ / "server.crt").string() + "\n    key: " + (dir_ / "server.key").string() + "\n";
    }
    if (!options_.user.empty() && options_.token) {
      start_token_server();
      cfg += "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(token_port_) +
             "/token\n    service: xraybake-test-registry\n    issuer: xraybake-test-issuer\n"
             "    rootcertbundle: " + (dir_ / "token.crt").string() + "\n";
    } else if (!options_.user.empty()) {
      auto r = shell("htpasswd -Bbn " + quote(options_.user) + " " + quote(options_.password) + " > " +
                     quote((dir_ / "htpasswd").string()));
      if (r.status != 0) throw std::runtime_error("htpasswd failed: " + r.output);
      cfg += "auth:\n  htpasswd:\n    realm: xraybake-test\n    path: " + (dir_ / "htpasswd").string() + "\n";
    }
    pid_ = start_listening(
        [&](int port) -> std::vector<std::string> {
          fs::path config = dir_ / ("config-" + std::to_string(port) + ".yml");
          write_text(config, "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                             "storage:\n  filesystem:\n    rootdirectory: " + (dir_ / "data").string() +
                             "\n  delete:\n    enabled: true\n"
                             "http:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n" + tls + cfg);
          return {"docker-registry", "serve", config.string()};
        },
        port_, dir_ / "registry.log");
    if (pid_ < 0) throw std::runtime_error("docker-registry did not start: " + log());
  }
  ~RegistryServer() {
    for (pid_t p : {pid_, token_pid_}) {
      if (p <= 0) continue;
      ::kill(p, SIGTERM);
      ::waitpid(p, nullptr, 0);
    }
  }
  // Scopes the token server was asked for, one request per line.
  std::string token_requests() const {
    std::ifstream in(dir_ / "token-requests.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string ca_file() const { return (dir_ / "certs" / "ca.crt").string(); }
  // A directory with only ca.crt, for skopeo --cert-dir.
  std::string cert_dir() const { return (dir_ / "certs").string(); }
  std::string log() const {
    std::ifstream in(dir_ / "registry.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Flags for skopeo talking to this registry (source side).
  std::string skopeo_src_flags() const {
    std::string f = options_.tls ? " --src-cert-dir " + cert_dir() : " --src-tls-verify=false";
    if (!options_.user.empty()) f += " --src-creds " + quote(options_.user + ":" + options_.password);
    return f;
  }
  std::string skopeo_flags() const {
    std::string f = options_.tls ? " --cert-dir " + cert_dir() : " --tls-verify=false";
    if (!options_.user.empty()) f += " --creds " + quote(options_.user + ":" + options_.password);
    return f;
  }

 private:
  void start_token_server() {
    auto r = shell("cd " + quote(dir_.path().string()) +
                   " && openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2"
                   " -subj /CN=xraybake-test-token-issuer");
    if (r.status != 0) throw std::runtime_error("openssl failed: " + r.output);
    token_pid_ = start_listening(
        [&](int port) -> std::vector<std::string> {
          return {"python3", std::string(XB_SOURCE_DIR) + "/tests/registry/token_server.py", std::to_string(port),
                  (dir_ / "token.key").string(), (dir_ / "token.crt").string(), "xraybake-test-issuer",
                  options_.user, options_.password};
        },
        token_port_, dir_ / "token-server.log", {"TOKEN_LOG=" + (dir_ / "token-requests.log").string()});
    if (token_pid_ < 0) throw std::runtime_error("token server did not start");
  }

  void make_certificates() {
    std::string d = quote(dir_.path().string());
    auto r = shell("cd " + d +
                   " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key"
                   " -out ca.crt -days 2 -subj /CN=xraybake-test-ca"
                   " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key"
                   " -out server.csr -subj /CN=127.0.0.1"
                   " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext.cnf"
                   " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt"
                   " -days 2 -extfile ext.cnf && mkdir certs && cp ca.crt certs/");
    if (r.status != 0) throw std::runtime_error("openssl failed: " + r.output);
  }

  RegistryServerOptions options_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int token_port_ = 0;
  pid_t token_pid_ = -1;
};

// Forwards 127.0.0.1:port() to 127.0.0.1:TARGET and breaks connections (a
// reset), TIMES times: as soon as the client-to-server bytes pass CUT_AFTER,
// or, with AT_REQUEST (e.g. "PATCH "), when such a request starts after that
// point, before any of it reaches the server (a keep-alive connection dropped
// between two requests).
class CuttingProxy {
 public:
  CuttingProxy(int target, uint64_t cut_after, std::string at_request = {}, int times = 1)
      : target_(target), cut_after_(cut_after), at_request_(std::move(at_request)), times_(times) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listen_, 16);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~CuttingProxy() {
    stop_ = true;
    ::shutdown(listen_, SHUT_RDWR);
    ::close(listen_);
    accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : workers_) t.join();
  }
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  bool cut() const { return cuts_ > 0; }
  uint64_t forwarded() const { return total_; }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(listen_, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int client) {
    int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(target_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(client);
      ::close(server);
      return;
    }
    char buf[16384];
    while (!stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(fds, 2, 200) < 0) break;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          done = true;
          break;
        }
        if (i == 0) {
          uint64_t before = total_.fetch_add(static_cast<uint64_t>(n));
          bool due = !at_request_.empty()
                         ? before >= cut_after_ && std::string_view(buf, static_cast<size_t>(n)).starts_with(at_request_)
                         : before + static_cast<uint64_t>(n) > cut_after_;
          if (due && cuts_.fetch_add(1) < times_) {
            // Forward part of it (none at a request start), then reset both sides.
            size_t part = !at_request_.empty() ? 0 : static_cast<size_t>(cut_after_ > before ? cut_after_ - before : 0);
            if (part) (void)::write(server, buf, part);
            linger l{1, 0};
            ::setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            done = true;
            break;
          }
        }
        const char* p = buf;
        while (n > 0) {
          ssize_t w = ::write(fds[1 - i].fd, p, static_cast<size_t>(n));
          if (w <= 0) {
            done = true;
            break;
          }
          p += w;
          n -= w;
        }
      }
      if (done) break;
    }
    ::close(client);
    ::close(server);
  }

  int target_;
  uint64_t cut_after_;
  std::string at_request_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  int times_;
  std::atomic<int> cuts_{0};
  std::atomic<uint64_t> total_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
};

}  // namespace xb::regtest
