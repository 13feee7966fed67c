// `xraybake build` text outputs through the real binary: every example, exact
// arguments, the atomic OUT, --templates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/cli_helpers.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const auto& l : lines(text))
    if (l.rfind(prefix, 0) == 0) return l;
  return {};
}

// Directories left beside OUT by a staging directory that was not cleaned up.
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".out.", 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

void expect_text_outputs(const fs::path& out, const std::string& what) {
  for (auto f : {"Dockerfile", "docker-entrypoint.sh", "ecs-task-definition.json", "cfg.yaml"})
    EXPECT_TRUE(fs::is_regular_file(out / f)) << what << ": " << f;
  std::string df = slurp(out / "Dockerfile");
  EXPECT_EQ(line_starting(df, "ENTRYPOINT "),
            "ENTRYPOINT [\"/usr/local/bin/xraybake-init\", \"--config\", \"/etc/xraybake/init.conf\", \"--\"]")
      << what;
  EXPECT_THAT(df, HasSubstr("ADD layers/xray-daemon-${TARGETARCH}.tar.gz /")) << what;
  EXPECT_EQ(df.find("\nRUN "), std::string::npos) << what;
  EXPECT_EQ((fs::status(out / "docker-entrypoint.sh").permissions() & fs::perms::owner_exec), fs::perms::owner_exec);
  auto sh = run_command({"sh", "-n", (out / "docker-entrypoint.sh").string()});
  EXPECT_EQ(sh.exit_code, 0) << what << ": " << sh.err;
  auto ecs = nlohmann::json::parse(slurp(out / "ecs-task-definition.json"));
  for (const auto& m : ecs["portMappings"]) EXPECT_EQ(m["protocol"], "tcp") << what;
  EXPECT_THAT(slurp(out / "cfg.yaml"), HasSubstr("Version: 2")) << what;
}

TEST(CliBuild, EveryExampleBuildsItsTextOutputs) {
  TempDir dir;
  for (const auto& name : example_names()) {
    fs::path out = dir / name;
    auto r = xraybake({"build", "--text-only", std::string(XB_SOURCE_DIR) + "/examples/" + name + "/xraybake.yaml", "-o", out.string()});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    expect_text_outputs(out, name);
  }
  auto ecs = nlohmann::json::parse(slurp(dir / "dotnet-api/ecs-task-definition.json"));
  EXPECT_EQ(ecs["image"], "registry.example.com/payments/orders-api:1.4.2");
  EXPECT_EQ(ecs["stopTimeout"], 30);
  EXPECT_EQ(ecs["portMappings"], nlohmann::json::parse(R"([{"containerPort": 5000, "protocol": "tcp"}])"));
  EXPECT_EQ(line_starting(slurp(dir / "dotnet-api/Dockerfile"), "FROM "), "FROM mcr.microsoft.com/dotnet/aspnet:8.0");
  // A local layout: the default of ARG BASE (podman reads it; Docker gets --build-arg BASE=).
  EXPECT_EQ(line_starting(slurp(dir / "quickstart/Dockerfile"), "ARG BASE="),
            "ARG BASE=oci:" + std::string(XB_SOURCE_DIR) + "/examples/quickstart/base-oci:latest");
  EXPECT_EQ(line_starting(slurp(dir / "quickstart/Dockerfile"), "FROM "), "FROM ${BASE}");
}

TEST(CliBuild, CommandArgumentsComeOutIntact) {
  TempDir dir;
  // (a newline is refused since #13.6: descriptor values are single-line text)
  const std::string nasty = "it's \"quoted\" $HOME \\n `and` a \\\\ back";
  nlohmann::json cmd = {"/bin/app", "--greeting", nasty, ""};
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice:\n  name: api\n  base: oci:app\n  command: " +
                                  cmd.dump() + "\n  env: {MOTD: \"pay $5 \\\"now\\\"\"}\n");
  auto r = xraybake({"build", "--text-only"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string df = slurp(dir / "out/Dockerfile");
  EXPECT_EQ(nlohmann::json::parse(line_starting(df, "CMD ").substr(4)), cmd);
  EXPECT_EQ(line_starting(df, "ENV MOTD="), "ENV MOTD=\"pay \\$5 \\\"now\\\"\"");
  auto ecs = nlohmann::json::parse(slurp(dir / "out/ecs-task-definition.json"));
  EXPECT_EQ(ecs["environment"][1], nlohmann::json({{"name", "MOTD"}, {"value", "pay $5 \"now\""}}));
  // The entrypoint script, run with a stand-in supervisor, passes the same argv.
  std::string script = slurp(dir / "out/docker-entrypoint.sh");
  std::string init = "/usr/local/bin/xraybake-init";
  script.replace(script.find("exec " + init), 5 + init.size(), "exec " + (dir / "fake-init").string());
  spit(dir / "entry.sh", script);
  spit(dir / "fake-init", "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n");
  fs::permissions(dir / "fake-init", fs::perms(0755));
  auto run = run_command({"sh", (dir / "entry.sh").string()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "[--config][/etc/xraybake/init.conf][--][/bin/app][--greeting][" + nasty + "][]");
}

TEST(CliBuild, ReplacesOutWholeAndLeavesNothingOnFailure) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\", command: [x]}\n");
  ASSERT_EQ(xraybake({"build", "--text-only"}, dir.path().string()).exit_code, 0);
  spit(dir / "out/stale.txt", "from an older build");
  auto r = xraybake({"build", "--text-only"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out/stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "out/Dockerfile"));
  EXPECT_TRUE(leftovers(dir.path()).empty());

  // A template that renders invalid JSON fails the build after the Dockerfile
  // was staged: OUT keeps the previous build, nothing half-written appears.
  spit(dir / "tpl/ecs-task-definition.json.mustache", "{\"image\": {{image}}");
  r = xraybake({"--templates", (dir / "tpl").string(), "build", "--text-only", "-o", "fresh"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("ecs-task-definition.json.mustache"));
  EXPECT_FALSE(fs::exists(dir / "fresh"));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".fresh."), std::string::npos) << e.path();

  r = xraybake({"build", "--text-only", "-o", "out"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0);
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: Bad}\n");
  r = xraybake({"build", "--text-only"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:2:"));
  EXPECT_TRUE(fs::exists(dir / "out/Dockerfile"));  // the last good build stays
}

TEST(CliBuild, TemplatesDirOverridesTheEmbeddedDockerfile) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: api, base: \"debian:12\", command: [x]}\n");
  spit(dir / "tpl/Dockerfile.mustache", "# custom\nFROM {{{from}}}\nUSER {{{user}}}\nCMD {{{cmd}}}\n");
  auto r = xraybake({"--templates", "tpl", "build", "--text-only"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(dir / "out/Dockerfile"), "# custom\nFROM debian:12\nUSER 10001:10001\nCMD [\"x\"]\n");
  EXPECT_THAT(slurp(dir / "out/docker-entrypoint.sh"), HasSubstr("exec /usr/local/bin/xraybake-init"));
}

}  // namespace
}  // namespace xb::test
