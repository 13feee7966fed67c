#include "http/curl_transport.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <mutex>

#include "util/redact.h"
#include "util/strings.h"

namespace xb::http {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string human(uint64_t n) {
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// State of one transfer, shared with the libcurl callbacks.
struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  uint64_t limit = 0;        // of a 2xx body; 0: none
  uint64_t received = 0;     // 2xx body bytes this attempt
  uint64_t sent = 0;         // position in the request body (curl may rewind it)
  uint64_t handed = 0;       // every body byte handed to curl, re-sent ones included
  bool head_seen = false;    // status line and headers of the final response are in
  bool error_body_full = false;
  std::string read_error;    // a failing pread
  std::exception_ptr error;  // thrown by a sink or a limit; rethrown after curl_easy_perform

  // file:// answers have no status line (0).
  bool success() const { return response->status == 0 || (response->status >= 200 && response->status < 300); }

  [[noreturn]] void too_large(uint64_t size) const {
    std::string what = request->limit_what.empty() ? "the limit of " + human(limit) : request->limit_what;
    throw Error(request->limit_code,
                request->method + " " + redact_url(request->url) + ": the response is larger than " + what +
                    (size ? " (it announces " + std::to_string(size) + " bytes)" : ""),
                !request->limit_hint.empty() ? request->limit_hint
                                             : "the server sent more than was asked for; nothing was kept. If it is "
                                               "a registry or mirror you trust, report it");
  }
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue): forget the previous headers.
    t->response->headers.clear();
    auto sp = line.find(' ');
    long status = 0;
    if (sp != std::string_view::npos) std::from_chars(line.data() + sp + 1, line.data() + line.size(), status);
    t->response->status = status;
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response->headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
  } else if (trim(line).empty() && t->response->status >= 200) {
    t->head_seen = true;
    if (t->request->on_head) {
      try {
        t->request->on_head(*t->response);
        if (t->request->max_body) t->limit = t->request->max_body;  // on_head may have changed it
      } catch (...) {
        t->error = std::current_exception();
        return 0;
      }
    }
    if (t->success() && t->limit > 0) {
      uint64_t announced = 0;
      std::string cl = t->response->header("content-length");
      auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), announced);
      if (ec == std::errc() && end == cl.data() + cl.size() && announced > t->limit && t->request->method != "HEAD") {
        try {
          t->too_large(announced);
        } catch (...) {
          t->error = std::current_exception();
          return 0;
        }
      }
    }
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * n);
  if (!t->success()) {
    // Error bodies are read for their message, not kept whole.
    size_t room = kErrorBodyLimit - std::min<size_t>(kErrorBodyLimit, t->response->body.size());
    t->response->body.append(chunk.substr(0, room));
    if (chunk.size() > room) {
      t->error_body_full = true;
      return 0;
    }
    return chunk.size();
  }
  try {
    if (t->limit > 0 && t->received + chunk.size() > t->limit) {
      // Keep what fits, then stop at the first byte past the limit.
      t->too_large(0);
    }
    t->received += chunk.size();
    if (t->request->sink) {
      t->request->sink(chunk);
    } else {
      t->response->body.append(chunk);
    }
  } catch (...) {
    t->error = std::current_exception();
    return 0;  // aborts the transfer
  }
  return chunk.size();
}

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const Request& r = *t->request;
  size_t want = size * n;
  if (r.body_fd < 0) {
    size_t left = r.body.size() - t->sent;
    size_t k = std::min(want, left);
    std::memcpy(buffer, r.body.data() + t->sent, k);
    t->sent += k;
    t->handed += k;
    return k;
  }
  uint64_t left = r.body_length - t->sent;
  size_t k = static_cast<size_t>(std::min<uint64_t>(want, left));
  if (k == 0) return 0;
  ssize_t got = ::pread(r.body_fd, buffer, k, static_cast<off_t>(r.body_offset + t->sent));
  if (got <= 0) {
    t->read_error = got < 0 ? std::strerror(errno) : "file shorter than expected";
    return CURL_READFUNC_ABORT;
  }
  t->sent += static_cast<uint64_t>(got);
  t->handed += static_cast<uint64_t>(got);
  return static_cast<size_t>(got);
}

// curl rewinds the body when it retries on a fresh connection by itself.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  uint64_t size = t->request->body_fd >= 0 ? t->request->body_length : t->request->body.size();
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > size) return CURL_SEEKFUNC_CANTSEEK;
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->progress && t->success() && dlnow > 0)
    t->request->progress(static_cast<uint64_t>(dlnow), dltotal > 0 ? static_cast<uint64_t>(dltotal) : 0);
  return 0;
}

TransportError::Kind kind_of(CURLcode c) {
  using K = TransportError::Kind;
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return K::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return K::tls;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
      return K::other;
    default:
      return K::broken;
  }
}

}  // namespace

struct CurlTransport::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

CurlTransport::CurlTransport(NetSettings settings) : handle_(std::make_unique<Handle>()), settings_(std::move(settings)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_->curl = curl_easy_init();
  if (!handle_->curl) fail_runtime("libcurl could not be initialised");
}

CurlTransport::~CurlTransport() = default;

Response CurlTransport::round_trip(const Request& r) {
  CURL* c = handle_->curl;
  curl_easy_reset(c);
  Response response;
  response.url = r.url;
  Transfer t;
  t.request = &r;
  t.response = &response;
  t.limit = r.max_body ? r.max_body : (r.sink ? 0 : kManifestLimit);

  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "xraybake/" XRAYBAKE_VERSION);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, settings_.connect_seconds);
  // Below 1 KiB/s for the stall limit: a stalled connection is a broken one.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, settings_.stall_seconds);
  if (r.deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*r.deadline - std::chrono::steady_clock::now());
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long long>(1, left.count())));
  }
  // CURLOPT_RANGE rather than a header: it works for file:// too.
  const std::string range = std::to_string(r.range_from) + "-";
  if (r.range_from > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, r.allow_file ? "http,https,file" : "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // the Client follows redirects itself
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, r.progress ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, settings_.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, settings_.verify_tls ? 2L : 0L);
  if (!settings_.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_bundle.c_str());

  struct curl_slist* headers = nullptr;
  for (const auto& h : r.headers) {
    if (lower(h.substr(0, 14)) == "authorization:") continue;  // only through Request::credential
    headers = curl_slist_append(headers, h.c_str());
  }
  if (r.credential) headers = curl_slist_append(headers, ("Authorization: " + r.credential->authorization).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  uint64_t body_size = r.body_fd >= 0 ? r.body_length : r.body.size();
  if (r.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "POST" && body_size == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  } else {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
    if (r.method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  bytes_sent_ += t.handed;
  const std::string where = r.method + " " + redact_url(r.url);
  if (!t.read_error.empty()) fail_runtime("reading the body for " + where + ": " + t.read_error);
  if (t.error) std::rethrow_exception(t.error);  // a limit, disk full, bad digest
  if (rc == CURLE_WRITE_ERROR && t.error_body_full) rc = CURLE_OK;  // the error's start is enough
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    auto kind = kind_of(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT && r.deadline && std::chrono::steady_clock::now() >= *r.deadline) {
      kind = TransportError::Kind::deadline;
      why = "not done within the request deadline of " + std::to_string(settings_.deadline_seconds) +
            " s (XRAYBAKE_REQUEST_TIMEOUT)";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      why = "stalled or timed out (" + why + ")";
    }
    // Credentials and signatures in URLs never reach a message.
    throw TransportError(where + ": " + redact_text(why, r.url), redact_text(why, r.url), kind, rc);
  }
  if (response.status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status == 0) {  // a file: what was asked for, as HTTP would say it
    response.status = r.range_from > 0 ? 206 : 200;
    if (r.range_from > 0) response.headers.emplace_back("content-range", "bytes " + range + "/*");
  }
  return response;
}

}  // namespace xb::http
