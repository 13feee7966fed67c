#include "http/client.h"

#include "util/log.h"
#include "util/redact.h"

namespace xb::http {

namespace {

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

constexpr int kMaxRedirects = 10;

}  // namespace

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::vector<std::string> Response::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == name) out.push_back(v);
  return out;
}

std::string Response::location() const {
  std::string loc = header("location");
  if (loc.empty()) return {};
  return resolve_url(url, loc).value_or(loc);
}

Client::Client(NetSettings settings)
    : settings_(std::move(settings)), curl_(settings_), auth_(curl_), retry_(auth_, settings_) {}

Response Client::send(const Request& request) {
  Request hop = request;
  // One deadline for the whole chain: every hop and its retries share it.
  if (!hop.deadline) hop.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(settings_.deadline_seconds);
  for (int redirects = 0;; ++redirects) {
    Response r = retry_.round_trip(hop);
    if (!request.follow_redirects || !is_redirect(r.status) || r.header("location").empty()) return r;
    const std::string from = hop.url;
    auto to = resolve_url(from, r.header("location"));
    if (!to)
      fail_runtime(hop.method + " " + redact_url(from) + ": HTTP " + std::to_string(r.status) +
                   " to a Location that is not a URL: " + redact_url(r.header("location")));
    if (redirects >= kMaxRedirects)
      fail_runtime(request.method + " " + redact_url(request.url) + ": more than " + std::to_string(kMaxRedirects) +
                   " redirects (the last to " + redact_url(*to) + ")");
    std::string scheme = scheme_of(*to);
    if (scheme_of(from) == "https" && scheme != "https")
      fail_runtime("refusing the redirect from " + redact_url(from) + " to " + redact_url(*to) +
                       ": it leaves HTTPS, so the rest of the transfer could be read or changed on the way",
                   "point the URL at the final HTTPS location, or fix the server's redirect");
    if (scheme != "http" && scheme != "https")
      fail_runtime("refusing the redirect from " + redact_url(from) + " to " + redact_url(*to) +
                   ": only http and https redirects are followed");
    log::verbose(hop.method + " " + redact_url(from) + ": HTTP " + std::to_string(r.status) + " to " +
                 redact_url(*to));
    hop.url = *to;
    if (r.status == 303 && hop.method != "HEAD") {
      hop.method = "GET";
      hop.body = {};
      hop.body_fd = -1;
    }
  }
}

}  // namespace xb::http
