#include "http/url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "util/strings.h"

namespace xb::http {

namespace {

struct UrlHandle {
  CURLU* p = curl_url();
  ~UrlHandle() { curl_url_cleanup(p); }
};

std::optional<std::string> part(CURLU* u, CURLUPart which, unsigned flags = 0) {
  char* v = nullptr;
  if (curl_url_get(u, which, &v, flags) != CURLUE_OK) return std::nullopt;
  std::string out = v;
  curl_free(v);
  return out;
}

// Any scheme (file:, registry Locations), not only the ones curl was built with.
constexpr unsigned kParse = CURLU_NON_SUPPORT_SCHEME;

}  // namespace

std::optional<Origin> origin_of(const std::string& url) {
  UrlHandle u;
  if (!u.p || curl_url_set(u.p, CURLUPART_URL, url.c_str(), kParse) != CURLUE_OK) return std::nullopt;
  auto scheme = part(u.p, CURLUPART_SCHEME);
  auto host = part(u.p, CURLUPART_HOST);
  auto port = part(u.p, CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || host->empty()) return std::nullopt;
  return Origin{lower(*scheme), lower(*host), port.value_or("")};
}

std::optional<std::string> resolve_url(const std::string& base, const std::string& reference) {
  UrlHandle u;
  if (!u.p || curl_url_set(u.p, CURLUPART_URL, base.c_str(), kParse) != CURLUE_OK) return std::nullopt;
  // Setting a URL on a handle that holds one resolves it as a reference.
  if (curl_url_set(u.p, CURLUPART_URL, reference.c_str(), kParse) != CURLUE_OK) return std::nullopt;
  return part(u.p, CURLUPART_URL);
}

std::string scheme_of(const std::string& url) {
  auto colon = url.find(':');
  if (colon == std::string::npos) return {};
  std::string s = lower(url.substr(0, colon));
  bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '+' || c == '-' || c == '.';
  });
  return ok ? s : std::string();
}

}  // namespace xb::http
