// Shared set-up for the fetch tests: a descriptor pointing at a loopback
// server, a temporary cache, and fast retry/stall settings.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "deb/testing_deb.h"
#include "descriptor/descriptor.h"
#include "fetch/fetch.h"
#include "support/http_server.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace xb::test {

// A deterministic payload of N bytes that is not all one value.
inline std::string payload(size_t n, unsigned seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// A valid X-Ray daemon .deb for ARCH of about N bytes (its binary is an ELF
// header and payload(N, SEED), which gzip can not shrink).
inline std::string deb_body(size_t n, unsigned seed = 1, const std::string& arch = "amd64") {
  std::string binary = deb::testing::fake_elf(arch, 64) + payload(n, seed);
  return deb::testing::make_deb(arch, binary);
}

// Serves AMD64 for URLs naming amd64, else ARM64 (Range honoured).
inline Handler by_arch(std::string amd64, std::string arm64) {
  Handler a = always(std::move(amd64)), b = always(std::move(arm64));
  return [a, b](const Request& r) { return r.target.find("arm64") != std::string::npos ? b(r) : a(r); };
}

// Runs FN, which must throw xb::Error, and returns that error.
inline Error expect_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an xb::Error";
  return Error(ExitCode::ok, "no error");
}

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("XRAYBAKE_RETRY_BASE_MS", "10", 1);
    ::setenv("XRAYBAKE_RETRY_MAX_MS", "50", 1);
    ::setenv("XRAYBAKE_RETRIES", "4", 1);
    ::setenv("XRAYBAKE_STALL_TIMEOUT", "10", 1);  // generous: a loaded CI machine must not look stalled
    ::setenv("XRAYBAKE_CONNECT_TIMEOUT", "5", 1);
    for (const char* v : {"XRAYBAKE_DAEMON_URL", "XRAYBAKE_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "http_proxy",
                          "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
      ::unsetenv(v);
    options.cache_dir = (dir / "cache").string();
  }

  // A descriptor for amd64 whose xray.url is BASE + the usual file name.
  Descriptor descriptor(const std::string& base, std::vector<std::string> platforms = {"linux/amd64"}) {
    Descriptor d;
    d.path = (dir / "xraybake.yaml").string();
    d.service.name = "orders-api";
    d.service.platforms = std::move(platforms);
    d.xray.version = "3.6.6";
    d.xray.url = base + "/aws-xray-daemon-linux-{arch}-{version}.deb";
    return d;
  }

  size_t files_under(const std::string& sub) {
    size_t n = 0;
    std::error_code ec;
    auto p = std::filesystem::path(options.cache_dir) / sub;
    if (!std::filesystem::exists(p)) return 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(p, ec))
      if (e.is_regular_file()) ++n;
    return n;
  }

  TempDir dir;
  FetchOptions options;
};

}  // namespace xb::test
