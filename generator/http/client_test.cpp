// The HTTP layer against loopback servers: redirects (relative, refused
// https -> http, credentials kept to their origin), the retry policy, body
// limits and the request deadline.
#include "http/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/http_server.h"
#include "support/tls_cert.h"
#include "support/temp_dir.h"
#include "util/fs.h"

namespace xb::http {
namespace {

using test::HttpServer;
using test::Response;
using Clock = std::chrono::steady_clock;

NetSettings fast() {
  NetSettings s;
  s.retries = 3;
  s.retry_base = std::chrono::milliseconds(10);
  s.retry_max = std::chrono::milliseconds(50);
  s.stall_seconds = 10;
  s.connect_seconds = 5;
  return s;
}

Request get(const std::string& url) {
  Request r;
  r.url = url;
  r.follow_redirects = true;
  return r;
}

TEST(HttpClient, RelativeLocationIsResolvedAgainstTheRequestUrl) {
  HttpServer server([](const test::Request& r) {
    if (r.target == "/a/b/start") return Response::status_only(302, {{"Location", "../c/next?x=1"}});
    return Response::bytes("reached " + r.target);
  });
  Client client(fast());
  auto r = client.send(get(server.url("/a/b/start")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "reached /a/c/next?x=1");
  EXPECT_EQ(r.url, server.url("/a/c/next?x=1"));
}

TEST(HttpClient, HttpsToHttpRedirectIsRefusedNamingBothUrls) {
  test::TempDir dir;
  auto identity = test::make_self_signed_cert();
  HttpServer plain(test::always("downgraded"));
  HttpServer tls(test::always_status(302, {{"Location", plain.url("/x.deb")}}), identity);
  write_file_atomic(dir / "ca.pem", identity.cert_pem);
  NetSettings s = fast();
  s.ca_bundle = (dir / "ca.pem").string();
  Client client(s);
  try {
    client.send(get(tls.url("/x.deb")));
    FAIL() << "followed a redirect from https to http";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(tls.url("/x.deb")), std::string::npos) << msg;
    EXPECT_NE(msg.find(plain.url("/x.deb")), std::string::npos) << msg;
    EXPECT_EQ(e.code(), ExitCode::runtime);
  }
  EXPECT_EQ(plain.request_count(), 0u);
}

TEST(HttpClient, CredentialStaysWithItsOriginAcrossRedirects) {
  HttpServer other(test::always("storage"));
  HttpServer origin(test::always_status(307, {{"Location", other.url("/blob")}}));
  Client client(fast());
  Request r = get(origin.url("/v2/x/blobs/sha256:1"));
  r.credential = Credential{*origin_of(origin.url("/")), "Bearer s3cret-token"};
  r.headers.push_back("Authorization: Basic smuggled");  // never sent: only Request::credential is
  auto resp = client.send(r);
  EXPECT_EQ(resp.body, "storage");
  ASSERT_EQ(origin.request_count(), 1u);
  EXPECT_EQ(origin.requests()[0].header("authorization"), "Bearer s3cret-token");
  ASSERT_EQ(other.request_count(), 1u);
  EXPECT_EQ(other.requests()[0].header("authorization"), "");  // same host, other port: another origin
}

TEST(HttpClient, NonIdempotentRequestIsRetriedOnlyWhenTheServerDidNotActOnIt) {
  HttpServer server(test::in_order({Response::status_only(429, {{"Retry-After", "0"}}), Response::status_only(503),
                                    Response::status_only(202)}));
  Client client(fast());
  Request patch;
  patch.method = "PATCH";
  patch.url = server.url("/upload");
  patch.body = "chunk";
  auto r = client.send(patch);
  EXPECT_EQ(r.status, 503);  // 429 retried; a 5xx on a PATCH is not (the caller asks where the upload stands)
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].body, "chunk");
}

TEST(HttpClient, RetryAfterHttpDateIsHonoured) {
  char date[64];
  std::time_t when = std::time(nullptr) + 2;
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&when));
  HttpServer server(test::in_order({Response::status_only(503, {{"Retry-After", date}}), Response::bytes("ok")}));
  Client client(fast());
  auto start = Clock::now();
  auto r = client.send(get(server.url("/m")));
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.attempts, 2);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(900));  // the backoff alone is <= 50 ms
}

TEST(HttpClient, MemoryBodyStopsAtItsLimitWithoutReadingTheRest) {
  // 8 MiB announced, 6 MiB sent, then the server holds the connection open.
  Response big = Response::stalled(std::string(8u << 20, 'x'), 6u << 20);
  big.stall_for = std::chrono::seconds(20);
  HttpServer stalled([&](const test::Request&) { return big; });
  Client client(fast());
  Request r = get(stalled.url("/manifest"));
  r.max_body = 1000;
  r.limit_what = "the 1000 bytes its index declares";
  auto start = Clock::now();
  try {
    client.send(r);
    FAIL() << "a body past its limit was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the 1000 bytes its index declares"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(stalled.request_count(), 1u);  // not retried
}

TEST(HttpClient, UnannouncedBodyStopsAtTheFirstBytePastTheLimit) {
  Response big = Response::stalled(std::string(5u << 20, '{'), 4u << 20 | 1);  // 4 MiB + 1, then nothing
  big.stall_for = std::chrono::seconds(20);
  HttpServer server([&](const test::Request&) { return big; });
  Client client(fast());
  auto start = Clock::now();
  try {
    client.send(get(server.url("/v2/app/manifests/latest")));  // default: kManifestLimit
    FAIL() << "a manifest past 4 MiB was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpClient, DeadlineEndsASlowButNeverStalledTransfer) {
  // 2 MiB at 8 KiB every 50 ms (160 KiB/s, far above the stall limit): 13 s in all.
  HttpServer server([](const test::Request&) {
    return Response::trickled(std::string(2u << 20, 'd'), 8192, std::chrono::milliseconds(50));
  });
  NetSettings s = fast();
  s.deadline_seconds = 1;
  Client client(s);
  std::string got;
  Request r = get(server.url("/slow.deb"));
  r.sink = [&](std::string_view chunk) { got.append(chunk); };
  auto start = Clock::now();
  try {
    client.send(r);
    FAIL() << "the transfer outlived its deadline";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::deadline);
    EXPECT_NE(std::string(e.what()).find("XRAYBAKE_REQUEST_TIMEOUT"), std::string::npos) << e.what();
  }
  auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_GT(got.size(), 0u);
  EXPECT_LT(got.size(), 2u << 20);
  EXPECT_EQ(server.request_count(), 1u);  // the deadline is for the whole request: no retry after it
}

TEST(HttpClient, DeadlineCoversTheWholeRedirectChainNotEachHop) {
  // Eight hops, each answering its redirect after 300 ms: every hop is well
  // inside a 1 s deadline, the chain (2.4 s) is not.
  HttpServer server([](const test::Request& r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server's slowness, not a wait in the test
    int n = std::atoi(r.target.c_str() + 1);
    if (n < 8) return Response::status_only(302, {{"Location", "/" + std::to_string(n + 1)}});
    return Response::bytes("arrived");
  });
  NetSettings s = fast();
  s.deadline_seconds = 1;
  Client client(s);
  auto start = Clock::now();
  try {
    auto r = client.send(get(server.url("/0")));
    FAIL() << "a redirect chain outlived its deadline: " << r.body;
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind(), TransportError::Kind::deadline) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_LT(server.request_count(), 8u);
}

TEST(HttpClient, BrokenStreamResumesWithRangeWhereTheSinkStopped) {
  const std::string body(300000, 'r');
  HttpServer server(test::in_order({Response::dropped(body, 100000), Response::bytes(body)}));
  Client client(fast());
  std::string got;
  Request r = get(server.url("/blob"));
  r.sink = [&](std::string_view chunk) { got.append(chunk); };
  client.send(r);
  EXPECT_EQ(got, body);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("range"), "bytes=100000-");
}

}  // namespace
}  // namespace xb::http
