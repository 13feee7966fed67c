// HTTPS with a self-signed certificate: refused by default (verification is
// never switched off), accepted once its CA bundle is given.
#include <gtest/gtest.h>

#include "fetch/fetch.h"
#include "fetch/fetch_test_util.h"
#include "support/http_server.h"
#include "support/tls_cert.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

class FetchTlsTest : public FetchTest {
 protected:
  void SetUp() override {
    FetchTest::SetUp();
    ::setenv("XRAYBAKE_RETRIES", "0", 1);
  }
  TlsIdentity identity = make_self_signed_cert();
};

TEST_F(FetchTlsTest, SelfSignedCertificateIsRefusedByDefault) {
  HttpServer server(always(deb_body(1000)), identity);
  {
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("certificate"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("--ca-bundle"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 0u);  // no request went over an untrusted channel
  EXPECT_EQ(files_under("blobs"), 0u);
}

TEST_F(FetchTlsTest, AcceptedWithItsCaBundleFromOption) {
  const std::string body = deb_body(30000);
  HttpServer server(always(body), identity);
  write_file_atomic(dir / "ca.pem", identity.cert_pem);
  options.ca_bundle = (dir / "ca.pem").string();
  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(FetchTlsTest, AcceptedWithItsCaBundleFromEnvironment) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body), identity);
  write_file_atomic(dir / "ca.pem", identity.cert_pem);
  ::setenv("XRAYBAKE_CA_BUNDLE", (dir / "ca.pem").c_str(), 1);
  EXPECT_EQ(fetch_all(descriptor(server.url("")), options)[0].sha256, sha256_hex(body));
}

TEST_F(FetchTlsTest, ResumesOverTls) {
  ::setenv("XRAYBAKE_RETRIES", "2", 1);
  const std::string body = deb_body(150000);
  HttpServer server(in_order({Response::dropped(body, 50000), Response::bytes(body)}), identity);
  write_file_atomic(dir / "ca.pem", identity.cert_pem);
  options.ca_bundle = (dir / "ca.pem").string();
  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("range"), "bytes=50000-");
}

}  // namespace
}  // namespace xb::test

namespace xb::test {
namespace {

TEST_F(FetchTlsTest, HttpsProxyTunnelsAndTlsIsStillVerifiedEndToEnd) {
  const std::string body = deb_body(40000);
  HttpServer origin(always(body), identity);
  HttpServer proxy(always(""));  // answers CONNECT with 200: a tunnel
  write_file_atomic(dir / "ca.pem", identity.cert_pem);
  options.ca_bundle = (dir / "ca.pem").string();
  ::setenv("HTTPS_PROXY", proxy.url("").c_str(), 1);
  auto debs = fetch_all(descriptor(origin.url("")), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  ASSERT_EQ(proxy.request_count(), 1u);
  EXPECT_EQ(proxy.requests()[0].method, "CONNECT");
  EXPECT_EQ(proxy.requests()[0].target, "localhost:" + std::to_string(origin.port()));
  EXPECT_EQ(origin.request_count(), 1u);
}

}  // namespace
}  // namespace xb::test
