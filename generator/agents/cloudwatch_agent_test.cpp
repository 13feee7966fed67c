#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "descriptor/problems.h"
#include "util/error.h"

namespace xb::agents {
namespace {

const std::string kService =
    "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\", platforms: [linux/amd64]}\n";

Descriptor cw(const std::string& rest = "") {
  return parse_descriptor(kService + "agent:\n  kind: cloudwatch-agent\n  version: 1.300071.0\n" + rest, "d.yaml");
}

std::vector<std::string> messages(const std::string& rest, const std::string& version = "  version: 1.300071.0\n") {
  try {
    parse_descriptor(kService + "agent:\n  kind: cloudwatch-agent\n" + version + rest, "d.yaml");
  } catch (const Error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

nlohmann::json config_of(const Descriptor& d) {
  auto files = agent_for(d).config_files(d);
  EXPECT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/etc/cwagentconfig/amazon-cloudwatch-agent.json");
  EXPECT_EQ(files[0].out_path, "agent/amazon-cloudwatch-agent.json");
  return nlohmann::json::parse(files[0].content);
}

TEST(CloudwatchAgent, GlobalBucketOrTheRegionsAndADetachedSignature) {
  Descriptor d = cw();
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.kind(), "cloudwatch-agent");
  EXPECT_EQ(a.package_name(), "amazon-cloudwatch-agent");
  Package p = a.package(d);
  EXPECT_EQ(p.url, "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/{arch}/{version}/amazon-cloudwatch-agent.deb");
  EXPECT_EQ(p.version, "1.300071.0");
  EXPECT_TRUE(p.detached_signature);
  EXPECT_EQ(p.mirror_env, "XRAYBAKE_CWAGENT_URL");
  Descriptor r = cw("  region: eu-west-1\n");
  Package rp = a.package(r);
  EXPECT_EQ(rp.url,
            "https://amazoncloudwatch-agent-{region}.s3.{region}.amazonaws.com/ubuntu/{arch}/{version}/"
            "amazon-cloudwatch-agent.deb");
  EXPECT_EQ(rp.region, "eu-west-1");
  EXPECT_EQ(a.kind(), "cloudwatch-agent");  // its layer: layers/cloudwatch-agent-<arch>.tar.gz (build::agent_layer_file)
}

TEST(CloudwatchAgent, LayerHoldsOnlyWhatAContainerNeeds) {
  Descriptor d = cw();
  const Agent& a = agent_for(d);
  std::vector<std::string> to;
  for (const auto& f : a.layer_files()) {
    EXPECT_EQ("/" + f.from, f.to);
    to.push_back(f.to);
  }
  EXPECT_EQ(to, (std::vector<std::string>{"/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent",
                                          "/opt/aws/amazon-cloudwatch-agent/bin/start-amazon-cloudwatch-agent",
                                          "/opt/aws/amazon-cloudwatch-agent/bin/config-translator",
                                          "/opt/aws/amazon-cloudwatch-agent/etc/common-config.toml"}));
  EXPECT_EQ(a.layer_files()[3].mode, 0644u);
  EXPECT_EQ(a.argv(d), (std::vector<std::string>{"/opt/aws/amazon-cloudwatch-agent/bin/start-amazon-cloudwatch-agent"}));
  EXPECT_EQ(a.writable_dirs(d),
            (std::vector<std::string>{"/opt/aws/amazon-cloudwatch-agent/etc", "/opt/aws/amazon-cloudwatch-agent/var",
                                      "/opt/aws/amazon-cloudwatch-agent/logs"}));
  Env env = a.agent_env(d);
  EXPECT_NE(std::find(env.begin(), env.end(), std::pair<std::string, std::string>{"RUN_IN_CONTAINER", "True"}), env.end());
  EXPECT_EQ(a.memory_mib(d), 64 + 16);
  EXPECT_NE(std::find(env.begin(), env.end(), std::pair<std::string, std::string>{"GOMEMLIMIT", "64MiB"}), env.end());
  EXPECT_EQ(a.package_checks(),
            (std::vector<std::string>{"opt/aws/amazon-cloudwatch-agent/doc/amazon-cloudwatch-agent-schema.json"}));
}

TEST(CloudwatchAgent, ConfigGeneratedFromTheDescriptor) {
  Descriptor d = cw(
      "  region: eu-west-1\n  endpoint: http://127.0.0.1:9\n  local_mode: true\n  resource_arn: arn:aws:ec2:x\n"
      "  proxy_address: http://127.0.0.1:3128\n  buffer_mb: 24\n  role_arn: arn:aws:iam::123456789012:role/r\n");
  nlohmann::json c = config_of(d);
  const nlohmann::json& t = c["traces"];
  EXPECT_EQ(t["traces_collected"]["xray"]["bind_address"], "127.0.0.1:2000");
  EXPECT_EQ(t["traces_collected"]["xray"]["tcp_proxy"]["bind_address"], "127.0.0.1:2000");
  EXPECT_EQ(t["traces_collected"]["otlp"]["grpc_endpoint"], "127.0.0.1:4317");
  EXPECT_EQ(t["traces_collected"]["otlp"]["http_endpoint"], "127.0.0.1:4318");
  EXPECT_EQ(t["buffer_size_mb"], 24);
  EXPECT_EQ(t["region_override"], "eu-west-1");
  EXPECT_EQ(t["endpoint_override"], "http://127.0.0.1:9");
  EXPECT_EQ(t["local_mode"], true);
  EXPECT_EQ(t["resource_arn"], "arn:aws:ec2:x");
  EXPECT_EQ(t["proxy_override"], "http://127.0.0.1:3128");
  EXPECT_EQ(c["agent"]["credentials"]["role_arn"], "arn:aws:iam::123456789012:role/r");

  // Defaults: nothing overridden, the default buffer; receivers off are left out.
  nlohmann::json plain = config_of(cw("  receivers: {otlp_grpc: \"off\", otlp_http: \"off\"}\n"));
  EXPECT_FALSE(plain["traces"].contains("region_override"));
  EXPECT_FALSE(plain["traces"].contains("local_mode"));
  EXPECT_EQ(plain["traces"]["buffer_size_mb"], 16);
  EXPECT_FALSE(plain["traces"]["traces_collected"].contains("otlp"));
}

TEST(CloudwatchAgent, AgentConfigMergedOverTheGeneratedOne) {
  Descriptor d = cw(
      "  config:\n    agent: {debug: true, omit_hostname: yes}\n    traces:\n      concurrency: 4\n"
      "      traces_collected: {xray: {}}\n      label: \"5\"\n");
  nlohmann::json c = config_of(d);
  EXPECT_EQ(c["agent"]["debug"], true);
  EXPECT_EQ(c["agent"]["omit_hostname"], "yes");  // YAML 1.2: only true/false are booleans
  EXPECT_EQ(c["traces"]["concurrency"], 4);
  EXPECT_EQ(c["traces"]["label"], "5");  // quoted stays a string
  // Merged key by key: the generated receivers stay.
  EXPECT_EQ(c["traces"]["traces_collected"]["xray"]["bind_address"], "127.0.0.1:2000");
  EXPECT_EQ(c["traces"]["buffer_size_mb"], 16);
}

TEST(CloudwatchAgent, KeysXraybakeOwnsAreRefusedAtTheirPosition) {
  auto m = messages("  config:\n    traces:\n      region_override: us-east-1\n      traces_collected:\n"
                    "        xray: {bind_address: 0.0.0.0:2000}\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("d.yaml:8:24"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("agent.config.traces.region_override is set by xraybake"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("agent.region"), std::string::npos) << m[0];
  EXPECT_NE(m[1].find("d.yaml:10:30"), std::string::npos) << m[1];
  EXPECT_NE(m[1].find("agent.receivers.xray"), std::string::npos) << m[1];
  EXPECT_EQ(messages("  config: [1]\n").size(), 1u);
}

TEST(CloudwatchAgent, AMovingVersionNeedsAPin) {
  auto m = messages("", "  version: latest\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("agent.sha256.amd64"), std::string::npos) << m[0];
  EXPECT_TRUE(messages("  sha256: {amd64: \"" + std::string(64, 'a') + "\"}\n", "  version: latest\n").empty());
}

TEST(CloudwatchAgent, ProbesAndAppEnvAreTheReceivers) {
  Descriptor d = cw();
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.ready_probes(d), (std::vector<std::string>{"udp:127.0.0.1:2000", "tcp:127.0.0.1:2000",
                                                         "tcp:127.0.0.1:4317", "tcp:127.0.0.1:4318"}));
  Env env = a.app_env(d);
  EXPECT_EQ(env, (Env{{"AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000"},
                      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"},
                      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  // The exporter's 30 s request timeout is not in the agent's JSON: flush_grace must cover it.
  EXPECT_EQ(a.min_flush_grace(d), Millis(30200));
  // A warning (a default stop_timeout of 30 s leaves no room for 30.2 s), never an error.
  EXPECT_TRUE(messages("").empty());
  bool warned = false;
  for (const auto& w : d.warnings) warned |= w.str().find("shorter than cloudwatch-agent needs to flush (30200ms") != std::string::npos;
  EXPECT_TRUE(warned) << ::testing::PrintToString(d.warnings.size());
}

// A schema like the one the .deb ships (written for this test, not AWS's).
const std::string kSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "agent": {"type": "object", "properties": {"debug": {"type": "boolean"}}},
    "traces": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "traces_collected": {"type": "object"},
        "buffer_size_mb": {"type": "integer", "minimum": 1},
        "concurrency": {"type": "integer", "minimum": 1},
        "local_mode": {"type": "boolean"},
        "region_override": {"type": "string"}
      }
    }
  }
})";

const std::string kSchemaPath = "opt/aws/amazon-cloudwatch-agent/doc/amazon-cloudwatch-agent-schema.json";

std::vector<std::string> schema_errors(const Descriptor& d, const std::string& schema = kSchema) {
  Problems p(d.path);
  agent_for(d).check_against_package(p, d, {{kSchemaPath, schema}}, "http://127.0.0.1:1/cw.deb");
  try {
    p.raise_if_any();
  } catch (const Error& e) {
    std::vector<std::string> out;
    for (const auto& diag : e.diagnostics()) out.push_back(diag.str());
    return out;
  }
  return {};
}

TEST(CloudwatchAgent, MergedConfigCheckedAgainstTheSchemaOfTheDeb) {
  EXPECT_TRUE(schema_errors(cw("  config:\n    traces: {concurrency: 2}\n    agent: {debug: true}\n")).empty());
  auto m = schema_errors(cw("  config:\n    traces:\n      concurrency: many\n    agent:\n      debug: 1\n    logz: {}\n"));
  ASSERT_EQ(m.size(), 3u) << ::testing::PrintToString(m);
  std::string all = ::testing::PrintToString(m);
  EXPECT_NE(all.find("d.yaml:8:20: agent.config.traces.concurrency:"), std::string::npos) << all;
  EXPECT_NE(all.find("d.yaml:10:14: agent.config.agent.debug:"), std::string::npos) << all;
  EXPECT_NE(all.find("d.yaml:11:11: agent.config.logz: not a key the schema allows here"), std::string::npos) << all;
  EXPECT_NE(all.find("http://127.0.0.1:1/cw.deb: /" + kSchemaPath), std::string::npos) << all;
}

TEST(CloudwatchAgent, WhatXraybakeGeneratedIsCheckedToo) {
  // A schema that has no proxy_override: the descriptor's own key is refused by the agent's schema.
  auto m = schema_errors(cw("  proxy_address: http://127.0.0.1:3128\n"));
  ASSERT_EQ(m.size(), 1u) << ::testing::PrintToString(m);
  EXPECT_NE(m[0].find("xraybake generated this part from agent:"), std::string::npos) << m[0];
}

TEST(CloudwatchAgent, ASchemaThatIsNotOneIsBadInput) {
  auto m = schema_errors(cw(), "{not json");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("not a JSON schema"), std::string::npos) << m[0];
  Problems p("d.yaml");
  Descriptor d = cw();
  agent_for(d).check_against_package(p, d, {}, "http://127.0.0.1:1/cw.deb");
  EXPECT_FALSE(p.empty());
}

}  // namespace
}  // namespace xb::agents
