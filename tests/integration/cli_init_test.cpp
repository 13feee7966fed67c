// `xraybake init`: a starter that validate accepts, never overwritten without --force.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(CliInit, WritesAStarterThatValidates) {
  TempDir dir;
  auto r = xraybake({"init", "svc", "--name", "orders-api", "--base", "oci:../images/app-oci:1.0"},
                    dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = slurp(dir / "svc/xraybake.yaml");
  EXPECT_THAT(text, HasSubstr("name: \"orders-api\""));
  EXPECT_THAT(text, HasSubstr("base: \"oci:../images/app-oci:1.0\""));
  EXPECT_THAT(text, HasSubstr("relative to this file's directory"));
  EXPECT_THAT(text, HasSubstr("# stop_timeout: 30s"));
  // Its base is not there yet: init says what to do, validate says it is missing.
  EXPECT_THAT(r.err, HasSubstr("next: put your app's image at " + (fs::canonical(dir.path()) / "images/app-oci").string() +
                               " as an OCI layout (e.g. skopeo copy docker://IMAGE oci:"));
  auto v = xraybake({"validate", "svc/xraybake.yaml"}, dir.path().string());
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_THAT(v.err, HasSubstr("service.base: base image"));
  // With the base there (tagged 1.0), the starter validates as is.
  fs::create_directories(dir / "images/app-oci");
  fs::copy(fixtures::base_oci(), dir / "images/app-oci", fs::copy_options::recursive);
  auto index = nlohmann::json::parse(slurp(dir / "images/app-oci/index.json"));
  index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] = "1.0";
  fs::remove(dir / "images/app-oci/index.json");
  spit(dir / "images/app-oci/index.json", index.dump());
  v = xraybake({"validate", "svc/xraybake.yaml"}, dir.path().string());
  EXPECT_EQ(v.exit_code, 0) << v.err;
}

TEST(CliInit, NamesTheServiceAfterItsDirectory) {
  TempDir dir;
  auto r = xraybake({"init", "Payments_API"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(slurp(dir / "Payments_API/xraybake.yaml"), HasSubstr("name: \"payments-api\""));
  fs::create_directories(dir / "Payments_API/build");
  fs::create_directory_symlink(fixtures::base_oci(), dir / "Payments_API/build/app-oci");
  auto v = xraybake({"validate", "Payments_API/xraybake.yaml"}, dir.path().string());
  EXPECT_EQ(v.exit_code, 0) << v.err;
}

TEST(CliInit, RefusesToOverwriteWithoutForce) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "# mine\n");
  auto r = xraybake({"init", "--name", "api"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_THAT(r.err, HasSubstr("hint: use --force"));
  EXPECT_EQ(slurp(dir / "xraybake.yaml"), "# mine\n");
  r = xraybake({"init", "--name", "api", "--force"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(slurp(dir / "xraybake.yaml"), HasSubstr("name: \"api\""));
}

TEST(CliInit, RefusesABadNameOrBase) {
  TempDir dir;
  auto r = xraybake({"init", "--name", "Bad Name"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--name \"Bad Name\" is not a valid image name"));
  r = xraybake({"init", "--name", "ok", "--base", "not a ref"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("service.base: \"not a ref\""));
  EXPECT_FALSE(std::filesystem::exists(dir / "xraybake.yaml"));
}

}  // namespace
}  // namespace xb::test
