#include "util/redact.h"

#include <vector>

namespace xb {

namespace {

constexpr std::string_view kRedacted = "REDACTED";

struct Parts {
  std::string_view scheme_sep;  // "scheme://" (empty for a non-URL)
  std::string_view userinfo;    // "user:pass" without the @
  std::string_view rest_of_authority;
  std::string_view path;
  std::string_view query;       // without '?'
  std::string_view fragment;    // with '#'
  bool has_query = false;
};

Parts split(std::string_view url) {
  Parts p;
  size_t pos = 0;
  if (auto sep = url.find("://"); sep != std::string_view::npos && url.find_first_of("/?#") > sep) {
    p.scheme_sep = url.substr(0, sep + 3);
    pos = sep + 3;
    size_t end = url.find_first_of("/?#", pos);
    if (end == std::string_view::npos) end = url.size();
    std::string_view authority = url.substr(pos, end - pos);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      p.userinfo = authority.substr(0, at);
      authority.remove_prefix(at + 1);
    }
    p.rest_of_authority = authority;
    pos = end;
  }
  size_t q = url.find('?', pos), h = url.find('#', pos);
  size_t path_end = std::min(q, h);
  if (path_end == std::string_view::npos) path_end = url.size();
  p.path = url.substr(pos, path_end - pos);
  if (q != std::string_view::npos && (h == std::string_view::npos || q < h)) {
    p.has_query = true;
    size_t qend = h == std::string_view::npos ? url.size() : h;
    p.query = url.substr(q + 1, qend - q - 1);
  }
  if (h != std::string_view::npos) p.fragment = url.substr(h);
  return p;
}

// The values of "a=1&b=2" (and names without a value are left alone).
std::vector<std::string_view> query_values(std::string_view query) {
  std::vector<std::string_view> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (auto eq = item.find('='); eq != std::string_view::npos && eq + 1 < item.size())
      out.push_back(item.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  Parts p = split(url);
  std::string out;
  out.reserve(url.size());
  out.append(p.scheme_sep).append(p.rest_of_authority).append(p.path);
  if (p.has_query) {
    out += '?';
    std::string_view q = p.query;
    bool first = true;
    while (true) {
      size_t amp = q.find('&');
      std::string_view item = q.substr(0, amp);
      if (!first) out += '&';
      first = false;
      if (auto eq = item.find('='); eq != std::string_view::npos && eq + 1 < item.size()) {
        out.append(item.substr(0, eq + 1)).append(kRedacted);
      } else {
        out.append(item);
      }
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
  }
  out.append(p.fragment);
  return out;
}

std::string redact_text(std::string text, std::string_view url) {
  Parts p = split(url);
  // The whole URL first (its redacted form keeps it readable), then each secret alone.
  const std::string shown = redact_url(url);
  if (!url.empty() && shown != url)
    for (size_t at = 0; (at = text.find(url, at)) != std::string::npos; at += shown.size())
      text.replace(at, url.size(), shown);
  std::vector<std::string_view> secrets = query_values(p.query);
  if (!p.userinfo.empty()) {
    auto colon = p.userinfo.find(':');
    secrets.push_back(p.userinfo.substr(0, colon));
    if (colon != std::string_view::npos && colon + 1 < p.userinfo.size()) secrets.push_back(p.userinfo.substr(colon + 1));
  }
  for (std::string_view s : secrets) {
    if (s.size() < 3) continue;  // "1" would mangle every number in the text
    for (size_t at = 0; (at = text.find(s, at)) != std::string::npos; at += kRedacted.size())
      text.replace(at, s.size(), kRedacted);
  }
  return text;
}

}  // namespace xb
