#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "agents/agent.h"

namespace xb::agents {
namespace {

const std::string kService =
    "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\", platforms: [linux/amd64, linux/arm64]}\n";

Descriptor contrib(const std::string& rest = "") {
  return parse_descriptor(kService + "agent:\n  kind: otelcol-contrib\n  version: 0.131.0\n" + rest, "d.yaml");
}

Descriptor adot(const std::string& rest = "") {
  return parse_descriptor(kService + "agent:\n  kind: adot-collector\n  version: 0.49.0\n" + rest, "d.yaml");
}

std::vector<std::string> messages(const std::string& rest) {
  try {
    contrib(rest);
  } catch (const Error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

TEST(OtelcolContrib, PackageIsTheReleasesDebCheckedByItsChecksumsFile) {
  Descriptor d = contrib();
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.kind(), "otelcol-contrib");
  Package p = a.package(d);
  EXPECT_EQ(p.url,
            "https://github.com/open-telemetry/opentelemetry-collector-releases/releases/download/v{version}/"
            "otelcol-contrib_{version}_linux_{arch}.deb");
  EXPECT_EQ(p.checksums_file, "opentelemetry-collector-releases_otelcol-contrib_checksums.txt");
  EXPECT_EQ(p.mirror_env, "XRAYBAKE_OTELCOL_URL");
  EXPECT_EQ(a.package_name(), "otelcol-contrib");
  ASSERT_EQ(a.layer_files().size(), 1u);
  EXPECT_EQ(a.layer_files()[0].from, "usr/bin/otelcol-contrib");
  EXPECT_EQ(a.argv(d), (std::vector<std::string>{"/usr/bin/otelcol-contrib", "--config", "/etc/xraybake/agent/config.yaml"}));
  EXPECT_EQ(a.kind(), "otelcol-contrib");  // its layer: layers/otelcol-contrib-<arch>.tar.gz (build::agent_layer_file)
  EXPECT_TRUE(d.warnings.empty());
}

TEST(OtelcolContrib, TheSameCollectorConfigProbesAndAppEnvAsAdot) {
  const std::string rest = "  region: eu-west-1\n  local_mode: true\n  buffer_mb: 36\n  flush_grace: 6s\n";
  Descriptor c = contrib(rest), d = adot(rest);
  const Agent &ca = agent_for(c), &da = agent_for(d);
  auto strip_header = [](const std::string& text) { return text.substr(text.find('\n') + 1); };
  EXPECT_EQ(strip_header(ca.config_files(c)[0].content), strip_header(da.config_files(d)[0].content));
  EXPECT_EQ(ca.ready_probes(c), da.ready_probes(d));
  EXPECT_EQ(ca.app_env(c), da.app_env(d));
  EXPECT_EQ(ca.min_flush_grace(c), da.min_flush_grace(d));
  // Only ADOT needs RUN_IN_CONTAINER (else it logs to a file); contrib logs to stderr.
  Env env = ca.agent_env(c);
  for (const auto& [k, v] : env) EXPECT_NE(k, "RUN_IN_CONTAINER");
  EXPECT_EQ(env, (Env{{"GOMEMLIMIT", "80MiB"}}));
}

TEST(OtelcolContrib, ComponentsBeyondAdotsAreAcceptedKeysStillChecked) {
  // googlecloud is not in the ADOT build; contrib ships it (and 200 more, not listed).
  EXPECT_TRUE(messages("  config:\n    connectors: {spanmetrics: {}}\n    exporters: {kafka/x: {}, "
                       "googlecloud: {}}\n")
                  .empty());
  EXPECT_EQ(messages("  config:\n    exporters:\n      awsxray: {regoin: us-east-1}\n"),
            std::vector<std::string>{
                "d.yaml:8:17: unknown key \"regoin\" in agent.config.exporters.awsxray (did you mean \"region\"?)"});
}

}  // namespace
}  // namespace xb::agents
