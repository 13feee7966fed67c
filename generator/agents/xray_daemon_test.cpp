#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "agents/agent.h"

namespace xb::agents {
namespace {

const std::string kService = "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\"}\n";

std::vector<std::string> messages(const std::string& yaml) {
  try {
    parse_descriptor(yaml, "d.yaml");
  } catch (const Error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

TEST(XrayDaemon, IsTheKindOfAnXraySectionAndOfNoSection) {
  Descriptor d = parse_descriptor(kService, "d.yaml");
  EXPECT_EQ(agent_for(d).kind(), "xray-daemon");
  d = parse_descriptor(kService + "xray: {version: 3.6.6}\n", "d.yaml");
  EXPECT_EQ(agent_for(d).kind(), "xray-daemon");
  EXPECT_EQ(agent_for(d).package(d).version, "3.6.6");
  EXPECT_EQ(agent_for(d).package(d).section, "xray");
}

TEST(XrayDaemon, ConfigIsVersion2YamlWithABufferSize) {
  Descriptor d = parse_descriptor(kService + "xray:\n  config: {LocalMode: true, Region: \"no\"}\n", "d.yaml");
  auto files = agent_for(d).config_files(d);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/etc/amazon/xray/cfg.yaml");
  EXPECT_EQ(files[0].out_path, "cfg.yaml");
  auto cfg = YAML::Load(files[0].content);
  EXPECT_EQ(cfg["Version"].as<int>(), 2);
  EXPECT_EQ(cfg["TotalBufferSizeMB"].as<int>(), kDefaultBufferMB);
  EXPECT_EQ(cfg["LocalMode"].as<bool>(), true);
  EXPECT_EQ(cfg["Region"].as<std::string>(), "no");
  EXPECT_EQ(cfg["Region"].Tag(), "!");  // quoted: stays a string for the daemon
  EXPECT_FALSE(cfg["Concurrency"]);     // only what was given
}

TEST(XrayDaemon, ArgvProbesAndEnv) {
  Descriptor d = parse_descriptor(kService +
                                      "xray:\n  log: /var/log/xray/x.log\n  args: [--log-level, debug]\n"
                                      "  config: {Socket: {UDPAddress: \"0.0.0.0:3000\"}}\n",
                                  "d.yaml");
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.argv(d), (std::vector<std::string>{"/usr/bin/xray", "-c", "/etc/amazon/xray/cfg.yaml", "-f",
                                                 "/var/log/xray/x.log", "--log-level", "debug"}));
  EXPECT_EQ(a.ready_probes(d), std::vector<std::string>{"udp:0.0.0.0:3000"});
  EXPECT_TRUE(a.agent_env(d).empty());
  EXPECT_EQ(a.app_env(d), (Env{{"AWS_XRAY_DAEMON_ADDRESS", "tcp:127.0.0.1:2000 udp:127.0.0.1:3000"}}));
  EXPECT_EQ(a.writable_dirs(d), (std::vector<std::string>{"/var/log/xray"}));
  EXPECT_EQ(a.layer_files().size(), 1u);
  EXPECT_EQ(a.layer_files()[0].from, "usr/bin/xray");
  EXPECT_EQ(a.package_name(), "xray");
}

TEST(XrayDaemon, WarnsOfTheEndOfSupportAtItsSection) {
  Descriptor d = parse_descriptor(kService + "xray:\n  version: 3.x\n", "d.yaml");
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0].str(),
            "d.yaml:3:1: warning: the X-Ray daemon is in maintenance since 2026-02-25 and its support ends on "
            "2027-02-25: move to the ADOT collector with `xraybake migrate --to adot-collector d.yaml`");
  d = parse_descriptor(kService + "agent: {kind: xray-daemon}\n", "d.yaml");
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_NE(d.warnings[0].message.find("2027-02-25"), std::string::npos);
}

// agent: with kind xray-daemon gives the same cfg.yaml and supervisor settings
// as the xray: section it translates.
TEST(XrayDaemon, AgentSectionMapsOntoTheSameDaemon) {
  Descriptor x = parse_descriptor(kService +
                                      "xray:\n  version: 3.6.6\n  bucket_region: eu-west-1\n"
                                      "  config: {TotalBufferSizeMB: 24, LocalMode: true, Region: eu-west-1,\n"
                                      "           Socket: {UDPAddress: \"127.0.0.1:2100\", TCPAddress: \"127.0.0.1:2100\"}}\n"
                                      "  flush_grace: 4s\n",
                                  "d.yaml");
  Descriptor a = parse_descriptor(kService +
                                      "agent:\n  kind: xray-daemon\n  version: 3.6.6\n  region: eu-west-1\n"
                                      "  buffer_mb: 24\n  local_mode: true\n  receivers: {xray: \"127.0.0.1:2100\"}\n"
                                      "  flush_grace: 4s\n",
                                  "d.yaml");
  YAML::Node cx = YAML::Load(agent_for(x).config_files(x)[0].content);
  YAML::Node ca = YAML::Load(agent_for(a).config_files(a)[0].content);
  for (const char* key : {"TotalBufferSizeMB", "LocalMode", "Region", "Version"})
    EXPECT_EQ(cx[key].Scalar(), ca[key].Scalar()) << key;
  EXPECT_EQ(ca["Socket"]["UDPAddress"].Scalar(), "127.0.0.1:2100");
  EXPECT_EQ(agent_for(a).package(a).url, agent_for(x).package(x).url);
  EXPECT_EQ(agent_for(a).package(a).region, "eu-west-1");
  EXPECT_EQ(agent_for(a).argv(a), agent_for(x).argv(x));
  EXPECT_EQ(agent_for(a).app_env(a), agent_for(x).app_env(x));
  EXPECT_EQ(agent_basics(a).flush_grace, Millis(4000));
}

TEST(XrayDaemon, AgentSectionErrorsArePositioned) {
  auto m = messages(kService +
                    "agent:\n"
                    "  kind: xray-daemon\n"
                    "  version: latest\n"
                    "  region: us-east-1\n"
                    "  receivers: {otlp_http: \"127.0.0.1:4318\"}\n"
                    "  config: {Region: us-east-1, Regoin: x}\n");
  std::vector<std::string> want{
      "d.yaml:5:12: agent.version: \"latest\" is not 3.x or an exact version such as 3.6.6",
      "d.yaml:6:11: agent.region and agent.config.Region are the same setting: keep one (agent.region)",
      "d.yaml:7:26: agent.receivers.otlp_http: the X-Ray daemon takes no OTLP; use agent.kind: adot-collector for OTLP",
      "d.yaml:8:31: unknown key \"Regoin\" in agent.config (did you mean \"Region\"?)"};
  EXPECT_EQ(m, want);
}

TEST(XrayDaemon, BothSectionsAreAnError) {
  auto m = messages(kService + "xray: {version: 3.x}\nagent: {kind: xray-daemon}\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].substr(0, 48), "d.yaml:4:1: agent and xray: a descriptor has one");
}

TEST(XrayDaemon, UnknownKindsAreRefusedNamingTheSupported) {
  // Every kind design.md names is implemented.
  EXPECT_EQ(agent_kinds(),
            (std::vector<std::string>{"xray-daemon", "adot-collector", "otelcol-contrib", "cloudwatch-agent"}));
  auto m = messages(kService + "agent: {kind: adot-colector}\n");
  EXPECT_EQ(m, std::vector<std::string>{
                   "d.yaml:3:15: agent.kind: unknown kind \"adot-colector\" (did you mean adot-collector?)"});
  m = messages(kService + "agent: {kind: xray-daemon, verison: 3.x}\n");
  EXPECT_EQ(m, std::vector<std::string>{"d.yaml:3:28: unknown key \"verison\" in agent (did you mean \"version\"?)"});
}

}  // namespace
}  // namespace xb::agents
