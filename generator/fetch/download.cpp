#include "fetch/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "fetch/backoff.h"
#include "fetch/progress.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sha256.h"

namespace xb {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

// The state of one download across its attempts: what is on disk and hashed.
struct Transfer {
  CURL* curl = nullptr;
  int fd = -1;
  Sha256 hasher;
  uint64_t written = 0;      // bytes on disk, all hashed
  uint64_t range_start = 0;  // what this attempt asked for with Range
  bool first_chunk = true;
  bool discard = false;      // an error page's body
  bool range_mismatch = false;
  bool range_ignored = false;
  int write_errno = 0;
  std::string content_range;
  std::string retry_after;
  Progress* progress = nullptr;

  void restart_from_zero() {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) write_errno = errno;
    hasher = Sha256();
    written = 0;
  }

  long status() const {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code;
  }

  // Decides, on the first body bytes of an attempt, what the response means
  // for the bytes already on disk.
  bool on_first_chunk() {
    first_chunk = false;
    long code = status();
    if (code != 0 && (code < 200 || code >= 300)) {
      discard = true;
      return true;
    }
    if (range_start == 0) return true;
    if (code == 206) {
      // "bytes START-END/TOTAL": the server must continue where we stopped.
      unsigned long long start = 0;
      if (std::sscanf(content_range.c_str(), "bytes %llu-", &start) != 1 || start != range_start) {
        range_mismatch = true;
        return false;
      }
      return true;
    }
    if (code == 200) {  // the server ignored Range: the body is the whole file
      range_ignored = true;
      restart_from_zero();
    }
    return true;
  }
};

size_t on_header(char* data, size_t size, size_t nitems, void* userp) {
  auto& t = *static_cast<Transfer*>(userp);
  std::string_view line(data, size * nitems);
  if (starts_with_nocase(line, "HTTP/")) {  // a new response (after a redirect or 100)
    t.content_range.clear();
    t.retry_after.clear();
  } else if (starts_with_nocase(line, "content-range:")) {
    t.content_range = trim(line.substr(14));
  } else if (starts_with_nocase(line, "retry-after:")) {
    t.retry_after = trim(line.substr(12));
  }
  return size * nitems;
}

size_t on_body(char* data, size_t size, size_t nmemb, void* userp) {
  auto& t = *static_cast<Transfer*>(userp);
  size_t n = size * nmemb;
  if (t.first_chunk && !t.on_first_chunk()) return 0;
  if (t.discard) return n;
  for (size_t off = 0; off < n;) {
    ssize_t w = ::write(t.fd, data + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      t.write_errno = errno;
      return 0;
    }
    off += static_cast<size_t>(w);
  }
  t.hasher.update(data, n);
  t.written += n;
  return n;
}

int on_progress(void* userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(userp);
  if (t.discard || t.first_chunk) return 0;
  uint64_t base = t.written - std::min<uint64_t>(t.written, static_cast<uint64_t>(dlnow));
  t.progress->update(t.written, dltotal > 0 ? base + static_cast<uint64_t>(dltotal) : 0);
  return 0;
}

// Why an attempt failed and whether another one may help.
struct Failure {
  std::string reason;
  bool retry = true;
  std::optional<std::chrono::milliseconds> retry_after;
};

struct CurlHandle {
  CURL* p = curl_easy_init();
  ~CurlHandle() { curl_easy_cleanup(p); }
};

}  // namespace

// Hashes what an earlier run left in FD and leaves the offset at its end.
static uint64_t hash_existing(int fd, Sha256& hasher) {
  char buf[1 << 16];
  uint64_t total = 0;
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    hasher.update(buf, static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  return n < 0 ? UINT64_MAX : total;
}

Downloaded download_file(const std::string& url, const std::filesystem::path& dest, const NetSettings& settings,
                         const DownloadContext& context) {
  global_init();
  int fd = ::open(dest.c_str(), O_RDWR | O_CREAT | (context.resume ? 0 : O_TRUNC) | O_CLOEXEC, 0644);
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

  CurlHandle handle;
  CURL* curl = handle.p;
  if (!curl) fail_runtime("libcurl could not start a transfer for " + url);
  Progress progress(context.label);
  Transfer t;
  t.curl = curl;
  t.fd = fd;
  t.progress = &progress;
  if (context.resume) {
    t.written = hash_existing(fd, t.hasher);
    if (t.written == UINT64_MAX) t.restart_from_zero();
  }
  const uint64_t leftover = t.written;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "xraybake/" XRAYBAKE_VERSION);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, settings.connect_seconds);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, settings.stall_seconds);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  std::mt19937 rng(std::random_device{}());
  const int attempts = settings.retries + 1;
  Failure failure;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    t.first_chunk = true;
    t.discard = t.range_mismatch = t.range_ignored = false;
    t.range_start = t.written;
    std::string range = std::to_string(t.written) + "-";
    // CURLOPT_RANGE rather than RESUME_FROM: libcurl then hands us a 200 from
    // a server that ignores Range instead of failing, and we start over.
    curl_easy_setopt(curl, CURLOPT_RANGE, t.written > 0 ? range.c_str() : nullptr);
    if (t.written > 0) log::verbose(context.label + ": resuming " + url + " at byte " + std::to_string(t.written));
    errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(curl);
    progress.clear();
    long code = t.status();
    if (rc == CURLE_OK && t.first_chunk && code == 200 && t.range_start > 0) t.restart_from_zero();
    if (t.range_ignored) log::verbose(context.label + ": " + url + " ignored the Range request; downloaded from zero");
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);

    if (t.write_errno != 0) fail_runtime("cannot write " + dest.string() + ": " + std::strerror(t.write_errno));
    failure = Failure{};
    if (rc == CURLE_OK) {
      if (code == 0 || (code >= 200 && code < 300)) {
        if (::fsync(fd) != 0) fail_runtime("cannot write " + dest.string() + ": " + std::strerror(errno));
        cleanup.keep = true;
        return Downloaded{t.hasher.hex(), t.written, attempt, leftover};
      }
      failure.reason = "HTTP " + std::to_string(code);
      if (code == 404 || code == 403 || code == 410 || code == 401) {
        fail_runtime(url + ": HTTP " + std::to_string(code) + (code == 404 ? " Not Found" : code == 403 ? " Forbidden" : ""),
                     context.not_found_hint);
      }
      if (code == 416) {  // our partial file no longer fits the server's: start over
        t.restart_from_zero();
      } else if (code == 429 || code >= 500) {
        if (!t.retry_after.empty()) failure.retry_after = parse_retry_after(t.retry_after, std::time(nullptr));
      } else {
        failure.retry = false;
      }
    } else {
      failure.reason = detail;
      switch (rc) {
        case CURLE_WRITE_ERROR:
          if (t.range_mismatch) {
            failure.reason = "the server answered Range with Content-Range: " + t.content_range;
            t.restart_from_zero();
          }
          break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
          fail_runtime(url + ": TLS certificate not trusted: " + detail,
                       "if the server (or a TLS-intercepting proxy) uses a private CA, pass its certificate with "
                       "--ca-bundle FILE or XRAYBAKE_CA_BUNDLE=FILE; verification is never turned off");
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
          fail_input(url + ": " + detail, "xray.url and XRAYBAKE_DAEMON_URL take https://, http:// or file:// URLs");
        case CURLE_FILE_COULDNT_READ_FILE:
          fail_runtime(url + ": " + detail, context.not_found_hint);
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_LOGIN_DENIED:
        case CURLE_REMOTE_ACCESS_DENIED:
          failure.retry = false;
          break;
        case CURLE_OPERATION_TIMEDOUT:
          failure.reason = "stalled or timed out (" + detail + ")";
          break;
        default:
          break;
      }
    }
    if (!failure.retry || attempt == attempts) break;
    auto delay = backoff_delay(attempt, settings, rng);
    if (failure.retry_after) delay = std::max(delay, std::min(*failure.retry_after, settings.retry_after_max));
    log::warn(context.label + ": " + url + ": " + failure.reason + "; retrying in " +
              std::to_string(delay.count()) + " ms (attempt " + std::to_string(attempt + 1) + " of " +
              std::to_string(attempts) + ")");
    std::this_thread::sleep_for(delay);
  }
  fail_runtime("cannot download " + url + ": " + failure.reason +
                   (failure.retry ? " (gave up after " + std::to_string(attempts) + " attempts)" : ""),
               "check the network and any proxy (HTTPS_PROXY, NO_PROXY); an air-gapped CI can point "
               "XRAYBAKE_DAEMON_URL at a mirror, or fill the cache elsewhere and use --offline");
}

}  // namespace xb
