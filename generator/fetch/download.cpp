#include "fetch/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fetch/progress.h"
#include "http/client.h"
#include "util/error.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/sha256.h"

namespace xb {

namespace {

// Hashes what an earlier run left in FD and leaves the offset at its end.
uint64_t hash_existing(int fd, Sha256& hasher) {
  char buf[1 << 16];
  uint64_t total = 0;
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    hasher.update(buf, static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  return n < 0 ? UINT64_MAX : total;
}

const char* kNetworkHint =
    "check the network and any proxy (HTTPS_PROXY, NO_PROXY); an air-gapped CI can point "
    "XRAYBAKE_DAEMON_URL at a mirror, or fill the cache elsewhere and use --offline";

}  // namespace

Downloaded download_file(const std::string& url, const std::filesystem::path& dest, const NetSettings& settings,
                         const DownloadContext& context) {
  const std::string shown = redact_url(url);
  int fd = ::open(dest.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | (context.resume ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
  if (fd < 0) fail_runtime("cannot create " + dest.string() + ": " + std::strerror(errno));
  struct Cleanup {
    int fd;
    const std::filesystem::path& path;
    bool keep = false;
    ~Cleanup() {
      ::close(fd);
      if (!keep) ::unlink(path.c_str());
    }
  } cleanup{fd, dest, context.resume};

  Sha256 hasher;
  uint64_t written = 0;
  int write_errno = 0;
  auto restart_from_zero = [&] {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) write_errno = errno;
    hasher = Sha256();
    written = 0;
  };
  if (context.resume) {
    written = hash_existing(fd, hasher);
    if (written == UINT64_MAX) restart_from_zero();
  }
  const uint64_t leftover = written;
  if (written > 0) log::verbose(context.label + ": resuming " + shown + " at byte " + std::to_string(written));

  Progress progress(context.label);
  http::Request req;
  req.url = url;
  req.allow_file = true;
  req.follow_redirects = true;
  req.label = context.label;
  req.resume_from = written;
  req.max_body = context.expected_size ? context.expected_size : kDownloadLimit;
  req.limit_what = context.expected_size ? "the " + std::to_string(context.expected_size) +
                                               " bytes xraybake.lock declares (a size mismatch: not the pinned bytes)"
                                         : "the 1 GiB limit for a download of unknown size";
  if (context.expected_size) {  // other bytes than the pinned ones, as a sha256 mismatch is
    req.limit_code = ExitCode::bad_input;
    req.limit_hint = kPinMismatchHint;
  }
  req.rewind = [&] {
    progress.clear();
    restart_from_zero();
  };
  req.sink = [&](std::string_view chunk) {
    for (size_t off = 0; off < chunk.size();) {
      ssize_t w = ::write(fd, chunk.data() + off, chunk.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        write_errno = errno;
        fail_runtime("cannot write " + dest.string() + ": " + std::strerror(errno));
      }
      off += static_cast<size_t>(w);
    }
    hasher.update(chunk.data(), chunk.size());
    written += chunk.size();
  };
  uint64_t attempt_base = written;
  req.on_head = [&](const http::Response&) { attempt_base = written; };
  req.progress = [&](uint64_t, uint64_t total) { progress.update(written, total ? attempt_base + total : 0); };

  http::Client client(settings);
  http::Response r;
  try {
    r = client.send(req);
  } catch (const http::TransportError& e) {
    progress.clear();
    using K = http::TransportError::Kind;
    if (e.tls())
      fail_runtime(shown + ": TLS certificate not trusted: " + e.reason(),
                   "if the server (or a TLS-intercepting proxy) uses a private CA, pass its certificate with "
                   "--ca-bundle FILE or XRAYBAKE_CA_BUNDLE=FILE; verification is never turned off");
    if (e.curl_code() == CURLE_UNSUPPORTED_PROTOCOL || e.curl_code() == CURLE_URL_MALFORMAT)
      fail_input(shown + ": " + e.reason(), "xray.url and XRAYBAKE_DAEMON_URL take https://, http:// or file:// URLs");
    if (e.curl_code() == CURLE_FILE_COULDNT_READ_FILE) fail_runtime(shown + ": " + e.reason(), context.not_found_hint);
    bool gave_up = e.kind() == K::connect || e.kind() == K::broken;
    fail_runtime("cannot download " + shown + ": " + e.reason() +
                     (gave_up ? " (gave up after " + std::to_string(e.attempts) + " attempts)" : ""),
                 kNetworkHint);
  }
  progress.clear();
  if (write_errno != 0) fail_runtime("cannot write " + dest.string() + ": " + std::strerror(write_errno));
  if (r.status >= 200 && r.status < 300) {
    if (::fsync(fd) != 0) fail_runtime("cannot write " + dest.string() + ": " + std::strerror(errno));
    cleanup.keep = true;
    return Downloaded{hasher.hex(), written, r.attempts, leftover};
  }
  const std::string where = shown + (r.url != url ? " (redirected to " + redact_url(r.url) + ")" : "");
  if (r.status == 404 || r.status == 403 || r.status == 410 || r.status == 401)
    fail_runtime(where + ": HTTP " + std::to_string(r.status) +
                     (r.status == 404 ? " Not Found" : r.status == 403 ? " Forbidden" : ""),
                 context.not_found_hint);
  bool gave_up = http::retryable_status(r.status, true);
  fail_runtime("cannot download " + shown + ": HTTP " + std::to_string(r.status) +
                   (gave_up ? " (gave up after " + std::to_string(r.attempts) + " attempts)" : ""),
               kNetworkHint);
}

}  // namespace xb
