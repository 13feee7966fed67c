// A registry base is pulled into a layout that the image builder reads to
// the same manifests, configs and layers as the original layout.
#include "build/base_layout.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "oci/base_image.h"
#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::build {
using namespace xb::registry;
namespace {

Descriptor descriptor_with_base(const std::string& base, const regtest::TempDir& tmp) {
  Descriptor d;
  d.path = (tmp / "xraybake.yaml").string();
  d.dir = tmp.path().string();
  d.service.name = "svc";
  d.service.base = base;
  d.service.platforms = {"linux/amd64", "linux/arm64"};
  return d;
}

TEST(BaseLayoutTest, RegistryBaseReadsLikeTheSameLayout) {
  XB_REQUIRE_TOOL("docker-registry", "docker-registry");
  regtest::TempDir tmp;
  ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
  RegistryOptions options;
  options.cache_dir = (tmp / "cache").string();
  regtest::make_test_image(tmp / "base", "3.19", {regtest::test_bytes(50000, 31), regtest::test_bytes(77, 32)},
                        {"linux/amd64", "linux/arm64"});
  regtest::RegistryServer reg;
  push(tmp / "base", "3.19", reg.host() + "/library/base:3.19", options);

  auto from_layout = oci::read_base_image(tmp / "base", "3.19", {"linux/amd64", "linux/arm64"});
  BaseLayout pulled = base_layout(descriptor_with_base(reg.host() + "/library/base:3.19", tmp), options);
  auto from_registry = oci::read_base_image(pulled.dir, pulled.tag, {"linux/amd64", "linux/arm64"});

  EXPECT_EQ(from_registry.top_digest, from_layout.top_digest);
  ASSERT_EQ(from_registry.platforms.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(from_registry.platforms[i].manifest_digest, from_layout.platforms[i].manifest_digest);
    EXPECT_EQ(from_registry.platforms[i].config, from_layout.platforms[i].config);
    EXPECT_EQ(from_registry.platforms[i].layers, from_layout.platforms[i].layers);
  }

  // An oci: base is passed through untouched.
  BaseLayout local = base_layout(descriptor_with_base("oci:" + (tmp / "base").string() + ":3.19", tmp), options);
  EXPECT_EQ(local.dir, tmp / "base");
  EXPECT_EQ(local.tag, "3.19");
}

TEST(BaseLayoutTest, PullFailureNamesServiceBase) {
  XB_REQUIRE_TOOL("docker-registry", "docker-registry");
  regtest::TempDir tmp;
  ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
  RegistryOptions options;
  options.cache_dir = (tmp / "cache").string();
  regtest::RegistryServer reg;
  try {
    base_layout(descriptor_with_base(reg.host() + "/nothing/here:1", tmp), options);
    FAIL() << "pulled a base that does not exist";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("xraybake.yaml: service.base: "), std::string::npos) << m;
    EXPECT_NE(m.find("nothing/here"), std::string::npos) << m;
  }
}

// Every layer blob a build links into OUT/oci is checked first: a symlink
// (which could point anywhere) or a blob whose bytes are not its digest is
// refused, naming it, before anything is linked.
TEST(BaseLayoutTest, LocalBlobsAreVerifiedAndSymlinksRefused) {
  regtest::TempDir tmp;
  RegistryOptions options;
  options.cache_dir = (tmp / "cache").string();
  const std::string l1 = regtest::test_bytes(5000, 41), l2 = regtest::test_bytes(300, 42);
  regtest::make_test_image(tmp / "base", "1", {l1, l2}, {"linux/amd64"});
  Descriptor d = descriptor_with_base("oci:" + (tmp / "base").string() + ":1", tmp);
  d.service.platforms = {"linux/amd64"};
  EXPECT_EQ(base_layout(d, options).dir, tmp / "base");

  const fs::path b1 = tmp / "base/blobs/sha256" / sha256_hex(l1), b2 = tmp / "base/blobs/sha256" / sha256_hex(l2);
  write_file_atomic(tmp / "elsewhere", l1);
  fs::remove(b1);
  fs::create_symlink(tmp / "elsewhere", b1);  // same bytes, but a symlink
  fs::remove(b2);
  write_file_atomic(b2, regtest::test_bytes(300, 43));  // same size, other bytes
  try {
    base_layout(d, options);
    FAIL() << "a symlinked or altered blob was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    std::string m = e.what();
    EXPECT_NE(m.find(b1.string() + ": a symbolic link"), std::string::npos) << m;
    EXPECT_NE(m.find(b2.string() + ": its content has the digest"), std::string::npos) << m;
    EXPECT_NE(m.find("service.base"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace xb::build
