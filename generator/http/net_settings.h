// Network knobs for every HTTP request xraybake makes (the daemon download,
// registry pulls and pushes), with defaults fit for CI and environment
// overrides (small values make the failure tests fast). docs/network.md
// describes them for users.
#pragma once

#include <chrono>
#include <string>

namespace xb {

struct NetSettings {
  int retries = 5;                                   // XRAYBAKE_RETRIES: retries after the first attempt
  std::chrono::milliseconds retry_base{1000};        // XRAYBAKE_RETRY_BASE_MS: first backoff step
  std::chrono::milliseconds retry_max{30000};        // XRAYBAKE_RETRY_MAX_MS: backoff cap
  std::chrono::milliseconds retry_after_max{300000}; // a longer Retry-After is cut to this
  long stall_seconds = 30;                           // XRAYBAKE_STALL_TIMEOUT: below 1 KiB/s this long ends an attempt
  long connect_seconds = 30;                         // XRAYBAKE_CONNECT_TIMEOUT
  long deadline_seconds = 900;                       // XRAYBAKE_REQUEST_TIMEOUT: one request, retries and waits included
  std::string ca_bundle;                             // --ca-bundle, XRAYBAKE_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE
  bool verify_tls = true;                            // false only for a registry named with --insecure-registry
};

// Defaults, then the environment; CA_BUNDLE (a flag) wins over the environment.
NetSettings net_settings_from_env(const std::string& ca_bundle = "");

}  // namespace xb
