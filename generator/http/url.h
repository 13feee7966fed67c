// URLs as the HTTP layer needs them (libcurl's URL API underneath): the
// origin a credential belongs to, and a Location resolved against the URL
// of the request it answered (RFC 3986, section 5).
#pragma once

#include <optional>
#include <string>

namespace xb::http {

// Scheme, host and port: where a credential may go (RFC 6454).
struct Origin {
  std::string scheme;  // lowercase: "https"
  std::string host;    // lowercase, IPv6 in brackets
  std::string port;    // explicit or the scheme's default: "443"
  bool operator==(const Origin&) const = default;
  std::string str() const { return scheme + "://" + host + ":" + port; }
};

// nullopt when URL is not an absolute URL with a host.
std::optional<Origin> origin_of(const std::string& url);

// REFERENCE (absolute, "/path", "path?query", "?query", "//host/path")
// resolved against BASE. nullopt when either cannot be parsed.
std::optional<std::string> resolve_url(const std::string& base, const std::string& reference);

// "https" of "https://host/x", lowercase; "" when there is none.
std::string scheme_of(const std::string& url);

}  // namespace xb::http
