// What xraybake writes for ECS is checked against the ECS API's own shapes,
// not a hand-written list: the TypeScript compiler (npm's typescript) checks
// OUT/ecs-task-definition.json as a ContainerDefinition and
// OUT/ecs-register-task-definition.json as a RegisterTaskDefinitionCommandInput
// of @aws-sdk/client-ecs (tests/fixtures/ecs-types), with excess property
// checks and the API's enums (networkMode, protocol, logDriver...). The
// same check fails on a misspelled key or a wrong enum value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "registry/fake_registry.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

const std::string kHead =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: orders-api\n"
    "  platforms: [linux/arm64, linux/amd64]\n"
    "  command: [/usr/local/bin/standin-app]\n"
    "  ports: [\"5000/tcp\", \"8125/udp\"]\n"
    "  env: {MODE: prod}\n"
    "  labels: {team: payments}\n"
    "  stop_timeout: 45s\n"
    "  tag: orders-api:1.4.2\n";

class EcsTypes : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("node", "nodejs");
    XB_REQUIRE(fs::exists(tsc()), "no " << tsc().string() << ": npm ci of tests/fixtures/ecs-types failed when the "
                                        "fixtures were built (npm and the npm registry are needed)");
    fs::create_directory_symlink(fs::path(fixtures::ecs_types_dir()) / "node_modules", tmp / "node_modules");
  }
  static fs::path tsc() { return fs::path(fixtures::ecs_types_dir()) / "node_modules/typescript/bin/tsc"; }

  // Builds the text outputs of BASE + REST into tmp/NAME/out.
  fs::path build(const std::string& name, const std::string& base, const std::string& rest) {
    fs::path d = tmp / name;
    spit(d / "xraybake.yaml", kHead + "  base: " + base + "\n" + rest);
    auto r = run_command({XB_XRAYBAKE_BIN, "build", "--text-only", "-o", "out"}, {}, d.string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return d / "out";
  }

  // tsc --strict on both documents as object literals (so excess properties
  // and literal types are checked, as for code that calls the SDK).
  RunResult typecheck(const std::string& container, const std::string& task) {
    spit(tmp / "check.ts",
         "import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from \"@aws-sdk/client-ecs\";\n"
         "export const container: ContainerDefinition = " + container + ";\n"
         "export const task: RegisterTaskDefinitionCommandInput = " + task + ";\n");
    return run_command({"node", tsc().string(), "--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext",
                        "--moduleResolution", "nodenext", "--target", "es2022", (tmp / "check.ts").string()},
                       {}, tmp.path().string());
  }

  TempDir tmp;
};

const char* kEcs =
    "agent:\n  kind: adot-collector\n  version: 0.49.0\n  region: eu-west-1\n"
    "ecs:\n"
    "  family: orders\n"
    "  cpu: 1024\n"
    "  memory: 3072\n"
    "  execution_role_arn: arn:aws:iam::123456789012:role/ecsTaskExecutionRole\n"
    "  task_role_arn: arn:aws:iam::123456789012:role/orders-xray\n"
    "  logs: {group: /ecs/payments/orders, stream_prefix: orders}\n"
    "  health_check: {interval: 15s, timeout: 3s, retries: 4, start_period: 20s}\n";

TEST_F(EcsTypes, TaskDefinitionsAreTheEcsApisShapes) {
  for (const auto& [name, rest] : std::vector<std::pair<std::string, std::string>>{
           {"with-ecs", kEcs},
           {"defaults", "xray:\n  version: 3.6.6\n  config: {Region: us-east-2}\n"},
           {"ec2", "xray:\n  version: 3.6.6\necs:\n  launch_type: EC2\n  cpu: 300\n  memory: 700\n  logs: {region: ap-south-1}\n"}}) {
    SCOPED_TRACE(name);
    const fs::path out = build(name, "oci:app-oci:1.0", rest);
    const std::string container = slurp(out / "ecs-task-definition.json");
    const std::string task = slurp(out / "ecs-register-task-definition.json");
    auto r = typecheck(container, task);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
}

// What they say: a health check without a shell, awslogs from the
// descriptor, the agent's memory, the user, the stop timeout; the task from ecs:.
TEST_F(EcsTypes, WhatTheyCarry) {
  const fs::path out = build("with-ecs", "oci:app-oci:1.0", kEcs);
  const json c = json::parse(slurp(out / "ecs-task-definition.json"));
  const json t = json::parse(slurp(out / "ecs-register-task-definition.json"));
  EXPECT_EQ(c["healthCheck"]["command"],
            json({"CMD", "/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--check"}));
  EXPECT_EQ(c["healthCheck"]["interval"], 15);
  EXPECT_EQ(c["healthCheck"]["timeout"], 3);
  EXPECT_EQ(c["healthCheck"]["retries"], 4);
  EXPECT_EQ(c["healthCheck"]["startPeriod"], 20);
  EXPECT_EQ(c["logConfiguration"], json({{"logDriver", "awslogs"},
                                         {"options",
                                          {{"awslogs-group", "/ecs/payments/orders"},
                                           {"awslogs-region", "eu-west-1"},
                                           {"awslogs-stream-prefix", "orders"}}}}));
  EXPECT_EQ(c["user"], "10001:10001");
  EXPECT_EQ(c["stopTimeout"], 45);
  EXPECT_GT(c["memoryReservation"].get<int>(), 0);
  EXPECT_EQ(c["image"], "orders-api:1.4.2");
  EXPECT_EQ(t["family"], "orders");
  EXPECT_EQ(t["cpu"], "1024");
  EXPECT_EQ(t["memory"], "3072");
  EXPECT_EQ(t["networkMode"], "awsvpc");
  EXPECT_EQ(t["requiresCompatibilities"], json({"FARGATE"}));
  EXPECT_EQ(t["taskRoleArn"], "arn:aws:iam::123456789012:role/orders-xray");
  EXPECT_EQ(t["executionRoleArn"], "arn:aws:iam::123456789012:role/ecsTaskExecutionRole");
  EXPECT_EQ(t["runtimePlatform"]["cpuArchitecture"], "ARM64") << "the first of service.platforms";
  EXPECT_EQ(t["containerDefinitions"], json::array({c}));
  // The agent's readiness is what the health check waits for, by default.
  const fs::path def = build("defaults", "oci:app-oci:1.0", "xray:\n  version: 3.6.6\n  ready_timeout: 7500ms\n");
  const json d = json::parse(slurp(def / "ecs-task-definition.json"));
  EXPECT_EQ(d["healthCheck"]["startPeriod"], 8);
  EXPECT_FALSE(d.contains("logConfiguration")) << "no region known, no ecs: section: nothing invented";
  // OUT's build context is the Dockerfile and its layers.
  EXPECT_EQ(slurp(out / ".dockerignore").substr(slurp(out / ".dockerignore").find("*")), "*\n!Dockerfile\n!layers/\n");
}

// The check can fail: a misspelled key, a value outside an enum.
TEST_F(EcsTypes, TheCheckRefusesWhatTheApiRefuses) {
  const fs::path out = build("with-ecs", "oci:app-oci:1.0", kEcs);
  const std::string container = slurp(out / "ecs-task-definition.json");
  const std::string task = slurp(out / "ecs-register-task-definition.json");
  auto typo = typecheck(std::regex_replace(container, std::regex("\"stopTimeout\""), "\"stopTimout\""), task);
  EXPECT_NE(typo.exit_code, 0);
  EXPECT_THAT(typo.out, HasSubstr("stopTimout"));
  auto mode = typecheck(container, std::regex_replace(task, std::regex("\"awsvpc\""), "\"vpc\""));
  EXPECT_NE(mode.exit_code, 0);
  EXPECT_THAT(mode.out, HasSubstr("\"vpc\""));
}

// After --push the task definitions name the image by its digest.
TEST_F(EcsTypes, AfterPushTheImageIsNamedByDigest) {
  XB_REQUIRE(fs::exists(fixtures::base_multi_oci() + "/index.json"), "no multi-platform base fixture");
  regtest::FakeRegistry reg;
  fs::path d = tmp / "pushed";
  spit(d / "xraybake.yaml", kHead + "  base: oci:" + fixtures::base_multi_oci() + ":latest\nxray:\n  version: 3.6.6\n");
  auto r = run_command({XB_XRAYBAKE_BIN, "--cache-dir", (tmp / "cache").string(), "build", "-o", "out", "--push",
                        reg.host() + "/orders-api:1.4.2"},
                       {{"XRAYBAKE_DAEMON_URL", "file://" + fixtures::deb_dir() + "/aws-xray-daemon-linux-{arch}-{version}.deb"},
                        {"DOCKER_CONFIG", (tmp / "docker").string()}},
                       d.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string pinned = r.out.substr(0, r.out.find('\n'));  // REF@DIGEST, as push printed it
  EXPECT_THAT(pinned, ::testing::MatchesRegex(".*/orders-api@sha256:[0-9a-f]{64}"));
  EXPECT_EQ(json::parse(slurp(d / "out/ecs-task-definition.json"))["image"], pinned);
  EXPECT_EQ(json::parse(slurp(d / "out/ecs-register-task-definition.json"))["containerDefinitions"][0]["image"], pinned);
  auto check = typecheck(slurp(d / "out/ecs-task-definition.json"), slurp(d / "out/ecs-register-task-definition.json"));
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

}  // namespace
}  // namespace xb::test
