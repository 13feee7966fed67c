// `xraybake validate` and the help texts, through the real binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/cli_helpers.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

using ::testing::HasSubstr;

const char* kBroken =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: Orders\n"
    "  base: oci:app\n"
    "  stop_timeout: 30\n"
    "xray:\n"
    "  config: {Regoin: us-east-1}\n";

TEST(CliValidate, AcceptsAValidDescriptorFromTheCurrentDirectory) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\"}\n");
  auto r = xraybake({"validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "xraybake.yaml: OK (api, 1 platform, daemon 3.x)\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliValidate, ReportsEveryErrorAtOnceWithPositionsAndExit2) {
  TempDir dir;
  spit(dir / "svc.yaml", kBroken);
  auto r = xraybake({"validate", "svc.yaml"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  std::vector<std::string> want{
      "svc.yaml:3:9: service.name: \"Orders\" is not a valid image name (lowercase letters and digits, with . _ - "
      "only between them, e.g. orders-api)",
      "svc.yaml:5:17: service.stop_timeout: \"30\" is not a duration (a number with ms, s or m, e.g. 30s)",
      "svc.yaml:7:12: unknown key \"Regoin\" in xray.config (did you mean \"Region\"?)"};
  EXPECT_EQ(lines(r.err), want);
  EXPECT_EQ(r.out, "");
}

TEST(CliValidate, JsonListsTheErrors) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kBroken);
  auto r = xraybake({"--json", "validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["errors"].size(), 3u);
  EXPECT_EQ(j["errors"][1]["line"], 5);
  EXPECT_EQ(j["errors"][1]["column"], 17);
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\"}\n");
  r = xraybake({"--json", "validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0);
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["tag"], "api:latest");
}

TEST(CliValidate, MissingFileIsExit2WithAHint) {
  TempDir dir;
  auto r = xraybake({"validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml: no such file"));
  EXPECT_THAT(r.err, HasSubstr("hint: "));
}

TEST(CliValidate, YamlSyntaxErrorHasAPosition) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: [a,\n");
  auto r = xraybake({"validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "xraybake.yaml:3:1: YAML syntax error: end of sequence flow not found\n");
}

TEST(CliValidate, EveryExampleValidates) {
  auto names = example_names();
  for (auto want : {"quickstart", "dotnet-api", "node-api", "python-worker", "java-service"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const auto& name : names) {
    auto r = xraybake({"validate", std::string(XB_SOURCE_DIR) + "/examples/" + name + "/xraybake.yaml"});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
}

TEST(CliHelp, SaysWhatEachCommandDoesWithAnExample) {
  auto r = xraybake({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (auto cmd : {"init", "validate", "fetch", "build"}) EXPECT_THAT(r.out, HasSubstr(cmd));
  EXPECT_THAT(r.out, HasSubstr("Example"));
  for (auto cmd : {"init", "validate", "build"}) {
    auto h = xraybake({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_THAT(h.out, HasSubstr("Example")) << cmd;
    EXPECT_THAT(h.out, HasSubstr("xraybake " + std::string(cmd))) << cmd;
  }
}

}  // namespace
}  // namespace xb::test
