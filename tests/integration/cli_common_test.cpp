// What every subcommand shares, through the real binary: --json on failure,
// -q and -v, an unknown command, the common flags in each --help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/cli_helpers.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Valid, with two warnings: a stop_timeout above Fargate's, no command.
const char* kWarns = "apiVersion: xraybake/v1\nservice: {name: api, base: \"registry.example.com/app:1\", "
                     "stop_timeout: 200s}\nxray: {flush_grace: 5s}\n";

TEST(CliJson, AFailurePrintsAnErrorObjectOnStdout) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice:\n  name: Bad\n  base: oci:app\n");
  auto r = xraybake({"--json", "build", "--text-only"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:3:9: service.name"));  // stderr as without --json
  auto e = nlohmann::json::parse(r.out)["error"];
  EXPECT_EQ(e["exit_code"], 2);
  EXPECT_THAT(e["message"].get<std::string>(), HasSubstr("service.name"));
  ASSERT_EQ(e["diagnostics"].size(), 1u);
  EXPECT_EQ(e["diagnostics"][0], nlohmann::json({{"file", "xraybake.yaml"},
                                                 {"line", 3},
                                                 {"column", 9},
                                                 {"message", e["diagnostics"][0]["message"]}}));
  EXPECT_TRUE(e.contains("hint"));

  // A plain error with a hint, a runtime error (exit 1), a flag CLI11 refuses:
  // the same object, and the flag may follow the command.
  r = xraybake({"init", "--name", "Bad Name", "--json"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  e = nlohmann::json::parse(r.out)["error"];
  EXPECT_THAT(e["message"].get<std::string>(), HasSubstr("--name \"Bad Name\" is not a valid image name"));
  EXPECT_THAT(e["hint"].get<std::string>(), HasSubstr("lowercase letters"));
  EXPECT_EQ(e["diagnostics"], nlohmann::json::array());

  // (A registry base never pulled, with --offline: a missing local base is bad input, found before the fetch.)
  spit(dir / "xraybake.yaml",
       "apiVersion: xraybake/v1\nservice: {name: api, base: \"registry.example/app:1\", command: [x]}\n");
  r = xraybake({"--json", "--offline", "--cache-dir", "cache", "build"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["exit_code"], 1);
  EXPECT_THAT(nlohmann::json::parse(r.out)["error"]["message"].get<std::string>(), HasSubstr("--offline"));

  // A command that printed its own --json document before failing: still one document.
  r = xraybake({"--json", "migrate", "--to", "adot-collector", "nope.yaml"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NO_THROW(nlohmann::json::parse(r.out)) << r.out;

  r = xraybake({"--json", "build", "--no-such-flag"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(nlohmann::json::parse(r.out)["error"]["message"].get<std::string>(), HasSubstr("--no-such-flag"));
}

TEST(CliQuiet, PrintsOnlyErrorsOnEveryCommand) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kWarns);
  auto loud = xraybake({"build", "--text-only"}, dir.path().string());
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  EXPECT_THAT(loud.err, HasSubstr("Fargate"));
  EXPECT_THAT(loud.err, HasSubstr("warning: service.command is empty"));
  for (std::vector<std::string> args : {std::vector<std::string>{"-q", "build", "--text-only"},
                                        {"validate", "--quiet"},
                                        {"-q", "init", "svc", "--name", "api"}}) {
    auto r = xraybake(args, dir.path().string());
    EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.err;
    EXPECT_EQ(r.err, "") << args[1];
    EXPECT_EQ(r.out, "") << args[1];
  }
  // Errors still come.
  auto r = xraybake({"-q", "validate", "missing.yaml"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing.yaml: no such file"));
}

TEST(CliVerbose, PrintsDebugLinesOnEveryCommand) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kWarns);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{{{"build", "--text-only"}, "staging the outputs in "},
                                         {{"validate"}, "xraybake.yaml: service api, base registry.example.com/app:1"},
                                         {{"init", "svc", "--name", "api"}, "rendered the starter for api"},
                                         {{"--offline", "--cache-dir", "cache", "fetch"}, ", lock file "}}) {
    auto args = c.args;
    auto quiet = xraybake(args, dir.path().string());
    args.insert(args.begin(), "-v");
    fs::remove_all(dir / "svc");
    auto r = xraybake(args, dir.path().string());
    EXPECT_THAT(r.err, ContainsRegex("xraybake [0-9.]+, cache ")) << c.args[0];
    EXPECT_THAT(r.err, HasSubstr(c.says)) << c.args[0] << ": " << r.err;
    EXPECT_THAT(quiet.err, Not(HasSubstr(c.says))) << c.args[0];
    fs::remove_all(dir / "svc");
  }
}

TEST(CliUnknownCommand, SuggestsTheNearestAndExits2) {
  auto r = xraybake({"biuld"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command \"biuld\" (did you mean build?)"));
  EXPECT_THAT(r.err, HasSubstr("hint: the commands are init, validate, fetch, build"));
  r = xraybake({"--cache-dir", "/tmp/x", "-q", "valdate", "x.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("(did you mean validate?)"));
  r = xraybake({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command \"frobnicate\""));
  EXPECT_THAT(r.err, Not(HasSubstr("did you mean")));
  r = xraybake({"--json", "biuld"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["error"]["exit_code"], 2);
}

TEST(CliHelp, EverySubcommandShowsTheCommonFlags) {
  for (auto cmd : {"init", "validate", "fetch", "build"}) {
    auto h = xraybake({cmd, "--help"});
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_THAT(h.out, HasSubstr("Common flags (before or after the command)")) << cmd;
    for (auto flag : {"--cache-dir DIR", "--offline", "--locked", "--json", "-q,--quiet", "-v,--verbose",
                      "--ca-bundle FILE", "--templates DIR"})
      EXPECT_THAT(h.out, HasSubstr(flag)) << cmd;
  }
}

TEST(CliTag, ATagWithoutANameIsRefusedWithItsPosition) {
  TempDir dir;
  for (auto tag : {"\":1.2\"", "1.2", ":1.2"}) {
    spit(dir / "xraybake.yaml", std::string("apiVersion: xraybake/v1\nservice:\n  name: api\n  base: "
                                            "registry.example.com/app:1\n  tag: ") + tag + "\n");
    auto r = xraybake({"validate"}, dir.path().string());
    EXPECT_EQ(r.exit_code, 2) << tag;
    EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:5:8: service.tag: ")) << tag;
    EXPECT_THAT(r.err, HasSubstr("is not a valid image NAME[:TAG] such as orders-api:1.4.2")) << tag;
  }
}

}  // namespace
}  // namespace xb::test
