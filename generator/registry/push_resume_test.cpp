// A connection that breaks during an upload: the push asks the registry where
// the upload stands and continues from there, or starts the blob again when
// the registry dropped the upload (docker-registry does after half a chunk).
#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"

namespace xb::registry {
namespace {

class PushResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    options.cache_dir = (tmp / "cache").string();
    options.chunk_size = 1 << 20;
    img = regtest::make_test_image(tmp / "img", "v1", {regtest::test_bytes(kLayer, 11)});
  }

  void expect_pushed(const regtest::RegistryServer& reg) {
    auto inspect = regtest::shell("skopeo inspect --raw --tls-verify=false docker://" + reg.host() + "/app:v1");
    ASSERT_EQ(inspect.status, 0) << inspect.output;
    EXPECT_EQ("sha256:" + sha256_hex(inspect.output), img.index_digest);
    // Copying it out makes skopeo fetch and verify every blob.
    auto copy = regtest::shell("skopeo copy --src-tls-verify=false docker://" + reg.host() + "/app:v1 oci:" +
                            (tmp / "back").string() + ":v1");
    EXPECT_EQ(copy.status, 0) << copy.output;
  }

  static constexpr size_t kLayer = 6 << 20;
  regtest::TempDir tmp;
  RegistryOptions options;
  regtest::TestImage img;
};

TEST_F(PushResumeTest, ConnectionDroppedBetweenChunksResumesWhereTheRegistryIs) {
  regtest::RegistryServer reg;
  // Dropped when the fifth chunk's PATCH starts (the registry has four
  // chunks), and so is the next PATCH. Whether curl retries the first on a
  // fresh connection by itself (the push then sees one break) or reports it
  // (two) depends on how far the body got: a load-dependent race.
  regtest::CuttingProxy proxy(reg.port(), 4u << 20, "PATCH ", 2);
  PushResult r = push(tmp / "img", "v1", proxy.host() + "/app:v1", options);
  EXPECT_TRUE(proxy.cut());
  EXPECT_GE(r.resumed, 1);
  EXPECT_LE(r.resumed, 2);
  EXPECT_EQ(r.restarted, 0);
  EXPECT_EQ(r.digest, img.index_digest);
  // Nothing was sent twice but what the two broken PATCHes had handed to
  // the socket (at most a chunk each); starting over would resend 4 MiB.
  EXPECT_LT(r.bytes_uploaded, kLayer + 2 * options.chunk_size + 64 * 1024);
  expect_pushed(reg);
}

TEST_F(PushResumeTest, ConnectionDroppedMidChunkIsRetried) {
  regtest::RegistryServer reg;
  // Dropped in the middle of the third chunk's body.
  regtest::CuttingProxy proxy(reg.port(), (5u << 20) / 2);
  PushResult r = push(tmp / "img", "v1", proxy.host() + "/app:v1", options);
  EXPECT_TRUE(proxy.cut());
  // Whether curl re-sends the chunk by itself on a fresh connection, the
  // registry keeps or drops the upload, depends on timing; a broken chunk
  // is always sent again, and the result is always whole.
  EXPECT_GT(r.bytes_uploaded, kLayer);
  EXPECT_LE(r.resumed + r.restarted, 2);
  EXPECT_EQ(r.digest, img.index_digest);
  expect_pushed(reg);
}

}  // namespace
}  // namespace xb::registry
