#include "http/net_settings.h"

#include <cstdlib>
#include <string>

#include "util/error.h"

namespace xb {

static const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

static long env_number(const char* name, long fallback) {
  const char* v = env(name);
  if (!v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0) fail_input(std::string(name) + "=" + v + " is not a non-negative whole number");
  return n;
}

NetSettings net_settings_from_env(const std::string& ca_bundle) {
  NetSettings s;
  s.retries = static_cast<int>(env_number("XRAYBAKE_RETRIES", s.retries));
  s.retry_base = std::chrono::milliseconds(env_number("XRAYBAKE_RETRY_BASE_MS", s.retry_base.count()));
  s.retry_max = std::chrono::milliseconds(env_number("XRAYBAKE_RETRY_MAX_MS", s.retry_max.count()));
  s.stall_seconds = std::max(1L, env_number("XRAYBAKE_STALL_TIMEOUT", s.stall_seconds));
  s.connect_seconds = std::max(1L, env_number("XRAYBAKE_CONNECT_TIMEOUT", s.connect_seconds));
  s.deadline_seconds = std::max(1L, env_number("XRAYBAKE_REQUEST_TIMEOUT", s.deadline_seconds));
  if (!ca_bundle.empty()) {
    s.ca_bundle = ca_bundle;
  } else {
    for (const char* name : {"XRAYBAKE_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"})
      if (const char* v = env(name)) {
        s.ca_bundle = v;
        break;
      }
  }
  return s;
}

}  // namespace xb
