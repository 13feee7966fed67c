// Push and pull against a registry that throttles, hands uploads to another
// host, redirects to a server that wants credentials, answers with relative
// Locations, or sends more than it declares (tests/registry/fake_registry.h).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "registry/fake_registry.h"
#include "registry/pull.h"
#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "oci/digest.h"
#include "oci/layout.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::registry {
namespace {

using regtest::FakeRegistry;
using regtest::FakeRegistryOptions;
using Clock = std::chrono::steady_clock;

class HostileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    ::setenv("XRAYBAKE_RETRY_BASE_MS", "10", 1);
    ::setenv("XRAYBAKE_RETRY_MAX_MS", "50", 1);
    ::unsetenv("XRAYBAKE_RETRIES");
    ::unsetenv("XRAYBAKE_REQUEST_TIMEOUT");
    options.cache_dir = (tmp / "cache").string();
    options.chunk_size = 64 << 10;
    img = regtest::make_test_image(tmp / "img", "v1", {regtest::test_bytes(150000, 5)});
  }
  void TearDown() override {
    ::unsetenv("XRAYBAKE_RETRY_BASE_MS");
    ::unsetenv("XRAYBAKE_RETRY_MAX_MS");
  }

  void login(const std::string& host, const std::string& user, const std::string& password) {
    auto b64 = regtest::shell("printf %s " + regtest::quote(user + ":" + password) + " | base64 -w0").output;
    regtest::write_text(tmp / "docker" / "config.json", R"({"auths":{")" + host + R"(":{"auth":")" + b64 + R"("}}})");
  }

  regtest::TempDir tmp;
  RegistryOptions options;
  regtest::TestImage img;
};

TEST_F(HostileRegistryTest, ThrottledPatchBlobPutAndManifestPutAreRetriedAfterRetryAfter) {
  FakeRegistryOptions o;
  o.throttle = {"PATCH", "PUT blob", "PUT manifest"};
  FakeRegistry reg(o);
  auto start = Clock::now();
  PushResult r = push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  auto took = Clock::now() - start;
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_TRUE(reg.has_manifest("app", "v1"));
  EXPECT_EQ(reg.throttled("PATCH"), 1);
  EXPECT_EQ(reg.throttled("PUT blob"), 1);
  EXPECT_EQ(reg.throttled("PUT manifest"), 1);
  // Three answers of Retry-After: 1; the backoff alone is at most 50 ms each.
  EXPECT_GE(took, std::chrono::milliseconds(2900));
}

TEST_F(HostileRegistryTest, UploadLocationOnAnotherPortGetsNoCredentials) {
  FakeRegistryOptions o;
  o.user = "ci";
  o.password = "s3cret";
  o.uploads_elsewhere = true;
  FakeRegistry reg(o);
  login(reg.host(), "ci", "s3cret");
  PushResult r = push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  size_t uploads = 0;
  for (const auto& q : reg.storage().requests()) {
    ++uploads;
    EXPECT_EQ(q.header("authorization"), "") << q.method << " " << q.target;
  }
  EXPECT_GT(uploads, 2u);  // PATCHes and the PUT went there
  bool api_authenticated = false;
  for (const auto& q : reg.api().requests()) api_authenticated |= !q.header("authorization").empty();
  EXPECT_TRUE(api_authenticated);
}

TEST_F(HostileRegistryTest, RelativeUploadLocationIsResolvedAgainstTheRequest) {
  FakeRegistryOptions o;
  o.relative_location = true;
  FakeRegistry reg(o);
  PushResult r = push(tmp / "img", "v1", reg.host() + "/team/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_TRUE(reg.has_manifest("team/app", "v1"));
  bool patched = false;
  for (const auto& q : reg.api().requests())
    if (q.method == "PATCH") {
      patched = true;
      EXPECT_EQ(q.target.rfind("/v2/team/app/blobs/uploads/", 0), 0u) << q.target;
    }
  EXPECT_TRUE(patched);
}

TEST_F(HostileRegistryTest, RedirectTargetAskingForATokenGetsNoCredentials) {
  FakeRegistryOptions o;
  o.user = "ci";
  o.password = "s3cret";
  o.redirect_blobs = true;
  FakeRegistry reg(o);
  login(reg.host(), "ci", "s3cret");
  push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  const std::string realm = reg.storage().url("/token");
  reg.intercept("GET /blob/", [&](const regtest::FakeRegistry::Request&) {
    return test::Response::status_only(401, {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"evil\""}});
  });
  reg.intercept("GET /token", [](const regtest::FakeRegistry::Request&) {
    return test::Response::bytes(R"({"token":"t"})");
  });
  RegistryOptions fresh = options;
  fresh.cache_dir = (tmp / "cache2").string();
  try {
    pull(reg.host() + "/app:v1", {"linux/amd64"}, fresh);
    FAIL() << "pulled through a redirect that asked for credentials";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("asks for credentials"), std::string::npos) << e.what();
  }
  bool redirected = false;
  for (const auto& q : reg.storage().requests()) {
    redirected |= q.target.rfind("/blob/", 0) == 0;
    EXPECT_EQ(q.header("authorization"), "") << q.method << " " << q.target;
    EXPECT_NE(q.target.rfind("/token", 0), 0u) << "asked the redirect target's realm for a token";
  }
  EXPECT_TRUE(redirected);
}

TEST_F(HostileRegistryTest, PlatformManifestLargerThanItsIndexDeclaresFailsAtTheLimit) {
  FakeRegistry reg;
  push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  // The platform manifest's GET sends 3 MiB (the index says a few hundred
  // bytes), then holds the connection: reading it all would take the stall limit.
  test::Response big = test::Response::stalled(std::string(3u << 20, ' '), 2u << 20);
  big.stall_for = std::chrono::seconds(20);
  reg.intercept("GET /v2/app/manifests/" + img.manifest_digests[0], [&](const regtest::FakeRegistry::Request&) { return big; });
  RegistryOptions fresh = options;
  fresh.cache_dir = (tmp / "cache2").string();
  auto start = Clock::now();
  try {
    pull(reg.host() + "/app:v1", {"linux/amd64"}, fresh);
    FAIL() << "accepted a manifest larger than declared";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bytes its index declares"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HostileRegistryTest, TagManifestPastTheManifestLimitFails) {
  FakeRegistry reg;
  test::Response big = test::Response::stalled(std::string(6u << 20, ' '), 5u << 20);
  big.stall_for = std::chrono::seconds(20);
  reg.intercept("GET /v2/app/manifests/v1", [&](const regtest::FakeRegistry::Request&) { return big; });
  auto start = Clock::now();
  try {
    pull(reg.host() + "/app:v1", {"linux/amd64"}, options);
    FAIL() << "accepted a 6 MiB manifest";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("4 MiB limit"), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HostileRegistryTest, ThrottledManifestGetIsRetried) {
  FakeRegistryOptions o;
  o.throttle = {"GET manifest"};
  o.retry_after = "0";
  FakeRegistry reg(o);
  push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  PullResult r = pull(reg.host() + "/app:v1", {"linux/amd64"}, options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_EQ(reg.throttled("GET manifest"), 1);
}

TEST_F(HostileRegistryTest, BlobWhoseServerIgnoresRangeIsDownloadedAgainFromTheStart) {
  FakeRegistry reg;
  push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  const std::string layer = regtest::test_bytes(150000, 5);
  const std::string digest = oci::digest_of(layer);
  // The first GET breaks after 60000 bytes; the retry asks for the rest with
  // Range, and the server answers the whole blob with 200.
  int gets = 0;
  std::vector<std::string> ranges;
  reg.intercept("GET /v2/app/blobs/" + digest, [&](const regtest::FakeRegistry::Request& r) {
    ranges.push_back(r.header("range"));
    test::Response resp = test::Response::bytes(layer);
    resp.honour_range = false;
    if (gets++ == 0) resp.drop_after = 60000;
    return resp;
  });
  RegistryOptions fresh = options;
  fresh.cache_dir = (tmp / "cache2").string();
  PullResult r = pull(reg.host() + "/app:v1", {"linux/amd64"}, fresh);
  EXPECT_EQ(r.digest, img.index_digest);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1], "bytes=60000-");
  EXPECT_EQ(read_file(oci::blob_path(r.layout_dir, digest)), layer);  // not the first 60000 bytes twice
}

TEST_F(HostileRegistryTest, PlantedManifestInTheBlobStoreIsFetchedAgain) {
  FakeRegistry reg;
  push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  RegistryOptions fresh = options;
  fresh.cache_dir = (tmp / "cache2").string();
  // A co-tenant plants a manifest of their own under the platform manifest's digest.
  const std::string& md = img.manifest_digests[0];
  fs::create_directories(fs::path(fresh.cache_dir) / "blobs" / "sha256");
  regtest::write_text(fs::path(fresh.cache_dir) / "blobs" / "sha256" / md.substr(7),
                      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})");
  PullResult r = pull(reg.host() + "/app:v1", {"linux/amd64"}, fresh);
  EXPECT_EQ(oci::digest_of(read_file(oci::blob_path(r.layout_dir, md))), md);
}

}  // namespace
}  // namespace xb::registry
