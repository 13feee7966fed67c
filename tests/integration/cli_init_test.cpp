// `xraybake init`: a starter that validate accepts, never overwritten without --force.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/require.h"
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
  EXPECT_THAT(v.err, testing::Not(HasSubstr("end of support")));  // a new service starts on an OpenTelemetry agent
}

TEST(CliInit, StarterIsOnTheAdotCollectorAndPointsEditorsAtTheSchema) {
  TempDir dir;
  auto r = xraybake({"init", "svc", "--name", "orders-api"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string text = slurp(dir / "svc/xraybake.yaml");
  EXPECT_EQ(text.rfind("# yaml-language-server: $schema=xraybake.schema.json\n", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("\nagent:\n"));
  EXPECT_THAT(text, HasSubstr("kind: \"adot-collector\""));
  EXPECT_THAT(text, HasSubstr("version: \"0.49.0\""));
  EXPECT_THAT(text, testing::Not(HasSubstr("\nxray:")));
  auto schema = xraybake({"schema"}, dir.path().string());
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  EXPECT_EQ(slurp(dir / "svc/xraybake.schema.json"), schema.out);
  EXPECT_EQ(nlohmann::json::parse(schema.out)["$schema"], "http://json-schema.org/draft-07/schema#");

  r = xraybake({"init", "contrib", "--agent", "otelcol-contrib"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(slurp(dir / "contrib/xraybake.yaml"), HasSubstr("kind: \"otelcol-contrib\""));
  r = xraybake({"init", "old", "--agent", "xray-daemon"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("2027-02-25"));
  EXPECT_FALSE(fs::exists(dir / "old/xraybake.yaml"));
  // A file of the user's by that name is left alone.
  spit(dir / "mine/xraybake.schema.json", "{\"mine\": true}");
  r = xraybake({"init", "mine"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(dir / "mine/xraybake.schema.json"), "{\"mine\": true}");
}

// The schema accepts every example and what init writes, and refuses what the
// parser refuses by shape (an unknown key, a bad kind, both xray: and agent:),
// checked by a real JSON Schema validator (python3-jsonschema).
TEST(CliInit, SchemaAcceptsEveryExampleAndRefusesWhatValidateRefuses) {
  XB_REQUIRE_TOOL("python3", "python3");
  TempDir dir;
  auto schema = xraybake({"schema"}, dir.path().string());
  ASSERT_EQ(schema.exit_code, 0);
  spit(dir / "schema.json", schema.out);
  spit(dir / "check.py",
       "import json, sys, yaml, jsonschema\n"
       "v = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))\n"
       "bad = 0\n"
       "for f in sys.argv[2:]:\n"
       "    errs = list(v.iter_errors(yaml.safe_load(open(f))))\n"
       "    print(f, 'valid' if not errs else 'invalid: ' + errs[0].message)\n"
       "    bad += bool(errs)\n");
  std::vector<std::string> args{"python3", (dir / "check.py").string(), (dir / "schema.json").string()};
  for (const auto& e : fs::directory_iterator(fs::path(XB_SOURCE_DIR) / "examples"))
    for (const auto& f : fs::directory_iterator(e.path()))
      if (f.path().extension() == ".yaml" && f.path().filename().string().rfind("xraybake", 0) == 0)
        args.push_back(f.path().string());
  ASSERT_EQ(xraybake({"init", "starter"}, dir.path().string()).exit_code, 0);
  args.push_back((dir / "starter/xraybake.yaml").string());
  const std::string head = "apiVersion: xraybake/v1\nservice: {name: a, base: oci:app}\n";
  spit(dir / "bad-key.yaml", head + "agent: {kind: adot-collector, version: 0.49.0, bufer_mb: 3}\n");
  spit(dir / "bad-kind.yaml", head + "agent: {kind: jaeger}\n");
  spit(dir / "both.yaml", head + "agent: {kind: adot-collector}\nxray: {}\n");
  for (const auto& bad : {"bad-key.yaml", "bad-kind.yaml", "both.yaml"}) args.push_back((dir / bad).string());
  auto run = run_command(args, {}, dir.path().string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string& out = run.out;
  size_t valid = 0, lines = 0;
  for (size_t at = 0; (at = out.find(" valid\n", at)) != std::string::npos; ++at) ++valid;
  for (char c : out) lines += c == '\n';
  EXPECT_EQ(lines, valid + 3) << out;
  EXPECT_THAT(out, HasSubstr("bad-key.yaml invalid: "));
  EXPECT_THAT(out, HasSubstr("bad-kind.yaml invalid: "));
  EXPECT_THAT(out, HasSubstr("both.yaml invalid: "));
  EXPECT_GE(valid, 13u) << out;  // six examples, their OpenTelemetry twins, the starter
  for (const auto& bad : {"bad-key.yaml", "bad-kind.yaml", "both.yaml"})
    EXPECT_EQ(xraybake({"validate", (dir / bad).string()}, dir.path().string()).exit_code, 2) << bad;
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
