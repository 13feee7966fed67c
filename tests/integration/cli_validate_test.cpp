// `xraybake validate` and the help texts, through the real binary.
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
using ::testing::Not;

const char* kBroken =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: Orders\n"
    "  base: oci:app\n"
    "  stop_timeout: 30\n"
    "xray:\n"
    "  config: {Regoin: us-east-1}\n";

const char* kValid = "apiVersion: xraybake/v1\nservice: {name: api, base: \"registry.example.com/app:1\"}\n";

TEST(CliValidate, AcceptsAValidDescriptorFromTheCurrentDirectory) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kValid);
  auto r = xraybake({"validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "xraybake.yaml: OK (api, 1 platform, daemon 3.x)\n");
  // No agent: section: the X-Ray daemon, whose support ends.
  EXPECT_EQ(r.err, "xraybake.yaml:1:1: warning: the X-Ray daemon is in maintenance since 2026-02-25 and its support "
                   "ends on 2027-02-25: move to the ADOT collector with `xraybake migrate --to adot-collector "
                   "xraybake.yaml`\n");
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
  EXPECT_EQ(j["error"]["exit_code"], 2);
  EXPECT_EQ(j["error"]["diagnostics"], j["errors"]);
  spit(dir / "xraybake.yaml", kValid);
  r = xraybake({"--json", "validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0);
  j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j.contains("error"));
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
  TempDir dir;
  for (const auto& name : names) {
    // A copy (with the app its service.files name) beside a base image, for
    // the examples whose local base run.sh writes.
    fs::create_directories(dir / name);
    for (const auto& e : fs::directory_iterator(std::string(XB_SOURCE_DIR) + "/examples/" + name))
      if (e.is_directory() && e.path().filename() != "base-oci")
        fs::copy(e.path(), dir / name / e.path().filename(), fs::copy_options::recursive);
    fs::create_directory_symlink(fixtures::base_oci(), dir / name / "base-oci");
    // Each example and its OpenTelemetry twin (the ADOT collector).
    for (const std::string file : {"xraybake.yaml", "xraybake.otel.yaml"}) {
      fs::path copy = dir / name / file;
      spit(copy, slurp(std::string(XB_SOURCE_DIR) + "/examples/" + name + "/" + file));
      auto r = xraybake({"validate", copy.string()});
      EXPECT_EQ(r.exit_code, 0) << name << "/" << file << ": " << r.err;
      if (file == "xraybake.otel.yaml") {
        EXPECT_THAT(r.out, HasSubstr("adot-collector 0.49.0")) << name;
        EXPECT_THAT(r.err, Not(HasSubstr("2027-02-25"))) << name;  // no end-of-support warning on the twin
      } else {
        EXPECT_THAT(r.err, HasSubstr("2027-02-25")) << name;
      }
    }
  }
}

TEST(CliValidate, SeveralFilesAndStandardInputAllReported) {
  TempDir dir;
  spit(dir / "good.yaml", kValid);
  spit(dir / "broken.yaml", kBroken);
  spit(dir / "typo.yaml", "apiVersion: xraybake/v1\nservice: {name: api, base: \"registry.example.com/a\", nmae: x}\n");
  auto r = run_command({"sh", "-c", "exec \"$0\" validate good.yaml - typo.yaml < broken.yaml", XB_XRAYBAKE_BIN},
                       {}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "good.yaml: OK (api, 1 platform, daemon 3.x)\n");
  EXPECT_THAT(r.err, HasSubstr("<stdin>:3:9: service.name: \"Orders\" is not a valid image name"));
  EXPECT_THAT(r.err, HasSubstr("<stdin>:7:12: unknown key \"Regoin\""));
  EXPECT_THAT(r.err, HasSubstr("typo.yaml:2:"));
  EXPECT_THAT(r.err, HasSubstr("did you mean \"name\"?"));

  r = run_command({"sh", "-c", "exec \"$0\" --json validate good.yaml - typo.yaml < broken.yaml", XB_XRAYBAKE_BIN},
                  {}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["valid"], false);
  ASSERT_EQ(j["files"].size(), 3u);
  EXPECT_EQ(j["files"][0]["valid"], true);
  EXPECT_EQ(j["files"][1]["file"], "<stdin>");
  EXPECT_EQ(j["files"][1]["errors"].size(), 3u);
  EXPECT_EQ(j["error"]["message"], "2 of 3 descriptors have problems");
  EXPECT_EQ(j["error"]["diagnostics"].size(), 4u);

  r = run_command({"sh", "-c", "exec \"$0\" validate - good.yaml < good.yaml", XB_XRAYBAKE_BIN}, {},
                  dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<stdin>: OK (api, 1 platform, daemon 3.x)\ngood.yaml: OK (api, 1 platform, daemon 3.x)\n");
}

TEST(CliValidate, ALocalBaseMustExistWithItsTagAndPlatforms) {
  TempDir dir;
  auto with_base = [&](const std::string& base, const std::string& platforms = "[linux/amd64]") {
    spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice:\n  name: api\n  base: " + base +
                                    "\n  platforms: " + platforms + "\n");
    return xraybake({"validate"}, dir.path().string());
  };
  auto r = with_base("oci:missing:1.0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:4:9: service.base: base image " +
                               (fs::canonical(dir.path()) / "missing").string() + ": no such directory"));
  EXPECT_THAT(r.err, HasSubstr("skopeo copy"));
  EXPECT_EQ(with_base("oci:" + fixtures::base_oci() + ":latest").exit_code, 0);
  r = with_base("oci:" + fixtures::base_oci() + ":2.0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:4:9: service.base: "));
  r = with_base("oci:" + fixtures::base_oci() + ":latest", "[linux/amd64, linux/arm64]");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("has no linux/arm64 image"));
  // A registry base is not contacted: validate is offline.
  EXPECT_EQ(with_base("registry.invalid/team/app:1.0").exit_code, 0);
}

TEST(CliHelp, SaysWhatEachCommandDoesWithAnExample) {
  auto r = xraybake({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (auto cmd : {"init", "validate", "fetch", "build"}) EXPECT_THAT(r.out, HasSubstr(cmd));
  EXPECT_THAT(r.out, HasSubstr("Example"));
  for (auto cmd : {"init", "validate", "fetch", "build"}) {
    auto h = xraybake({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_THAT(h.out, HasSubstr("Example")) << cmd;
    EXPECT_THAT(h.out, HasSubstr("xraybake " + std::string(cmd))) << cmd;
  }
}

}  // namespace
}  // namespace xb::test
