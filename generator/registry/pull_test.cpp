// Pulling from docker-registry on loopback into a cached OCI layout.
#include "registry/pull.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::registry {
namespace {

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    options.cache_dir = (tmp / "cache").string();
    img = regtest::make_test_image(tmp / "img", "3.19", {regtest::test_bytes(300000, 21), regtest::test_bytes(999, 22)},
                                {"linux/amd64", "linux/arm64"});
  }

  regtest::TempDir tmp;
  RegistryOptions options;
  regtest::TestImage img;
};

TEST_F(PullTest, PulledLayoutHasTheSameDigestsAsTheOriginal) {
  regtest::RegistryServer reg;
  push(tmp / "img", "3.19", reg.host() + "/base/debian:3.19", options);

  RegistryOptions fresh = options;
  fresh.cache_dir = (tmp / "cache2").string();
  PullResult r = pull(reg.host() + "/base/debian:3.19", {"linux/arm64"}, fresh);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_EQ(r.tag, "3.19");
  EXPECT_EQ(r.oci_reference(), "oci:" + r.layout_dir.string() + ":3.19");
  EXPECT_EQ(r.bytes_downloaded, 300000u + 999u + 0u + [&] {
              return fs::file_size(tmp / "img" / "blobs" / "sha256" /
                                   nlohmann::json::parse(read_file(tmp / "img" / "blobs" / "sha256" /
                                                                   img.manifest_digests[1].substr(7)))["config"]["digest"]
                                       .get<std::string>()
                                       .substr(7));
            }());
  auto index = nlohmann::json::parse(read_file(r.layout_dir / "index.json"));
  EXPECT_EQ(index["manifests"][0]["digest"], img.index_digest);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "3.19");
  // The arm64 manifest and its blobs are there, verified; amd64's is not needed.
  EXPECT_TRUE(fs::exists(r.layout_dir / "blobs" / "sha256" / img.manifest_digests[1].substr(7)));
  EXPECT_EQ(sha256_file_hex((r.layout_dir / "blobs" / "sha256" / img.manifest_digests[1].substr(7)).string()),
            img.manifest_digests[1].substr(7));

  // Pulled again: everything comes from the cache.
  PullResult again = pull(reg.host() + "/base/debian:3.19", {"linux/arm64"}, fresh);
  EXPECT_EQ(again.bytes_downloaded, 0u);
  EXPECT_EQ(again.digest, r.digest);

  // By digest, and offline from the cache.
  PullResult pinned = pull(reg.host() + "/base/debian@" + img.index_digest, {"linux/amd64"}, fresh);
  EXPECT_EQ(pinned.digest, img.index_digest);
  fresh.offline = true;
  EXPECT_EQ(pull(reg.host() + "/base/debian:3.19", {"linux/arm64"}, fresh).digest, img.index_digest);
}

TEST_F(PullTest, ResolveBaseLeavesLayoutsAlone) {
  EXPECT_EQ(resolve_base("oci:build/app-oci:latest", {"linux/amd64"}, options), "oci:build/app-oci:latest");
}

TEST_F(PullTest, UnknownTagAndRepositoryNameWhatWasAskedFor) {
  regtest::RegistryServer reg;
  push(tmp / "img", "3.19", reg.host() + "/base/debian:3.19", options);
  try {
    pull(reg.host() + "/base/debian:9.99", {"linux/amd64"}, options);
    FAIL() << "pulled a tag that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    std::string m = e.what();
    EXPECT_NE(m.find("\"9.99\""), std::string::npos) << m;
    EXPECT_NE(m.find("base/debian"), std::string::npos) << m;
    EXPECT_NE(m.find(reg.host()), std::string::npos) << m;
  }
  try {
    pull(reg.host() + "/nope/missing:1", {"linux/amd64"}, options);
    FAIL() << "pulled a repository that does not exist";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("nope/missing"), std::string::npos) << m;
    EXPECT_NE(m.find("UNKNOWN"), std::string::npos) << m;
  }
}

TEST_F(PullTest, MissingPlatformIsNamed) {
  regtest::RegistryServer reg;
  auto one = regtest::make_test_image(tmp / "one", "v1", {regtest::test_bytes(10, 1)}, {"linux/amd64"});
  push(tmp / "one", "v1", reg.host() + "/only-amd64:v1", options);
  try {
    pull(reg.host() + "/only-amd64:v1", {"linux/arm64"}, options);
    FAIL() << "found an arm64 image in an amd64-only index";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("linux/arm64"), std::string::npos) << m;
    EXPECT_NE(m.find("linux/amd64"), std::string::npos) << m;  // what it has
  }
}

TEST_F(PullTest, DockerMediaTypesFromSkopeo) {
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  XB_REQUIRE_TOOL("umoci", "umoci");
  regtest::RegistryServer reg;
  // A Docker schema 2 manifest (skopeo converts when asked).
  std::string layout = (tmp / "u").string();
  auto mk = regtest::shell("umoci init --layout " + layout + " && umoci new --image " + layout + ":v1 && mkdir -p " +
                        (tmp / "root" / "etc").string() + " && echo hi > " + (tmp / "root" / "etc" / "hi").string() +
                        " && umoci insert --image " + layout + ":v1 " + (tmp / "root" / "etc").string() + " /etc");
  ASSERT_EQ(mk.status, 0) << mk.output;
  auto cp = regtest::shell("skopeo copy --format v2s2 --dest-tls-verify=false oci:" + layout + ":v1 docker://" + reg.host() +
                        "/dockerish:v1");
  ASSERT_EQ(cp.status, 0) << cp.output;
  // umoci leaves the platform empty; ask for what its config says.
  PullResult r = pull(reg.host() + "/dockerish:v1", {}, options);
  EXPECT_EQ(r.media_type, "application/vnd.docker.distribution.manifest.v2+json");
  auto raw = regtest::shell("skopeo inspect --raw --tls-verify=false docker://" + reg.host() + "/dockerish:v1");
  EXPECT_EQ(r.digest, "sha256:" + sha256_hex(raw.output));
}

}  // namespace
}  // namespace xb::registry
