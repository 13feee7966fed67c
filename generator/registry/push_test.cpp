// Pushing to Debian's docker-registry on loopback, checked with skopeo.
#include "registry/push.h"
#include "registry/blob_head.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::registry {
namespace {

using regtest::quote;
using regtest::shell;

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    options.cache_dir = (tmp / "cache").string();
    options.chunk_size = 1 << 20;
  }

  // The digest skopeo sees for REF (the raw manifest's sha256).
  static std::string remote_digest(const regtest::RegistryServer& reg, const std::string& ref) {
    auto r = shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + ref);
    EXPECT_EQ(r.status, 0) << r.output;
    return "sha256:" + sha256_hex(r.output);
  }

  regtest::TempDir tmp;
  RegistryOptions options;
};

TEST_F(PushTest, PushedImageIsWhatSkopeoPullsBack) {
  regtest::RegistryServer reg;
  auto img = regtest::make_test_image(tmp / "img", "1.0", {regtest::test_bytes(3 << 20, 1), regtest::test_bytes(1000, 2)},
                                   {"linux/amd64", "linux/arm64"});
  PushResult r = push(tmp / "img", "1.0", reg.host() + "/team/orders-api:1.4.2", options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_EQ(r.reference, reg.host() + "/team/orders-api:1.4.2");
  EXPECT_EQ(r.blobs_uploaded, 4);  // two layers, two configs
  EXPECT_EQ(r.manifests, 3);
  EXPECT_GE(r.bytes_uploaded, img.layer_bytes);
  EXPECT_EQ(remote_digest(reg, reg.host() + "/team/orders-api:1.4.2"), img.index_digest);

  // skopeo copies every platform back into a layout: same index digest.
  auto c = shell("skopeo copy --all --preserve-digests" + reg.skopeo_src_flags() + " docker://" + reg.host() +
                 "/team/orders-api:1.4.2 oci:" + quote((tmp / "back").string()) + ":x");
  ASSERT_EQ(c.status, 0) << c.output;
  auto idx = nlohmann::json::parse(read_file(tmp / "back" / "index.json"));
  EXPECT_EQ(idx["manifests"][0]["digest"], img.index_digest);
}

TEST_F(PushTest, SecondImageSharingLayersSendsOnlyItsNewLayers) {
  regtest::RegistryServer reg;
  std::string shared = regtest::test_bytes(2 << 20, 7);  // the daemon layer every service shares
  regtest::make_test_image(tmp / "a", "a", {shared, regtest::test_bytes(5000, 8)});
  auto b = regtest::make_test_image(tmp / "b", "b", {shared, regtest::test_bytes(7000, 9)});
  push(tmp / "a", "a", reg.host() + "/svc-a:1", options);

  PushResult again = push(tmp / "a", "a", reg.host() + "/svc-a:1", options);
  EXPECT_EQ(again.blobs_uploaded, 0);
  EXPECT_EQ(again.blobs_existing, 3);

  // Another repository of the same registry: the shared layer is mounted, not sent.
  PushResult r = push(tmp / "b", "b", reg.host() + "/svc-b:1", options);
  EXPECT_EQ(r.blobs_mounted, 1);
  EXPECT_EQ(r.blobs_uploaded, 2);  // its own layer and config
  EXPECT_LT(r.bytes_uploaded, 64u * 1024);
  EXPECT_GE(r.bytes_uploaded, 7000u);
  EXPECT_EQ(remote_digest(reg, reg.host() + "/svc-b:1"), b.index_digest);
}

// A layout that lists a blob without holding it (the image layout allows
// it): the push skips it where the target has it, mounts it from the
// repository named for it, never uploads it, and says so when it can do neither.
TEST_F(PushTest, BlobLeftInTheRegistryIsSkippedOrMountedNeverUploaded) {
  regtest::RegistryServer reg;
  std::string shared = regtest::test_bytes(2 << 20, 7);
  regtest::make_test_image(tmp / "a", "a", {shared, regtest::test_bytes(5000, 8)});
  auto b = regtest::make_test_image(tmp / "b", "b", {shared, regtest::test_bytes(7000, 9)});
  push(tmp / "a", "a", reg.host() + "/cache/a:1", options);
  const std::string digest = "sha256:" + sha256_hex(shared);
  EXPECT_EQ(blob_size(reg.host() + "/cache/a", digest, options), shared.size());
  EXPECT_EQ(blob_size(reg.host() + "/svc/b", digest, options), std::nullopt);
  EXPECT_THROW(blob_size(reg.host() + "/cache/a:1", digest, options), Error);
  std::filesystem::remove(tmp / "b/blobs/sha256" / digest.substr(7));

  RegistryOptions fresh = options;  // no record of where blobs went
  fresh.cache_dir = (tmp / "cache2").string();
  PushResult r = push(tmp / "b", "b", reg.host() + "/svc/b:1", fresh, {{digest, reg.host() + "/cache/a"}});
  EXPECT_EQ(r.blobs_mounted, 1);
  EXPECT_EQ(r.blobs_uploaded, 2);  // its own layer and config
  EXPECT_LT(r.bytes_uploaded, 64u * 1024);
  EXPECT_EQ(remote_digest(reg, reg.host() + "/svc/b:1"), b.index_digest);
  PushResult again = push(tmp / "b", "b", reg.host() + "/svc/b:1", fresh, {{digest, reg.host() + "/cache/a"}});
  EXPECT_EQ(again.blobs_mounted + again.blobs_uploaded, 0);

  // Nowhere to mount it from: an error naming the blob, nothing uploaded for it.
  try {
    push(tmp / "b", "b", reg.host() + "/svc/c:1", fresh, {{digest, reg.host() + "/cache/empty"}});
    ADD_FAILURE() << "pushed without the blob";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("cannot push " + digest), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(reg.host() + "/cache/empty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(blob_size(reg.host() + "/svc/c", digest, options), std::nullopt);
}

}  // namespace
}  // namespace xb::registry
