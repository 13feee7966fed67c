#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "agents/agent.h"

namespace xb::agents {
namespace {

const std::string kService =
    "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\", platforms: [linux/amd64, linux/arm64]}\n";

Descriptor adot(const std::string& rest = "") {
  return parse_descriptor(kService + "agent:\n  kind: adot-collector\n  version: 0.49.0\n" + rest, "d.yaml");
}

std::vector<std::string> messages(const std::string& rest) {
  try {
    adot(rest);
  } catch (const Error& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {};
}

YAML::Node config(const Descriptor& d) { return YAML::Load(agent_for(d).config_files(d)[0].content); }

std::vector<std::string> strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const auto& n : list) out.push_back(n.Scalar());
  return out;
}

TEST(AdotCollector, PackageIsTheGlobalBucketsDebWithOnlyTheBinary) {
  Descriptor d = adot();
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.kind(), "adot-collector");
  Package p = a.package(d);
  EXPECT_EQ(p.url, "https://aws-otel-collector.s3.amazonaws.com/ubuntu/{arch}/v{version}/aws-otel-collector.deb");
  EXPECT_EQ(p.version, "0.49.0");
  EXPECT_EQ(p.section, "agent");
  EXPECT_EQ(a.package_name(), "aws-otel-collector");
  ASSERT_EQ(a.layer_files().size(), 1u);
  EXPECT_EQ(a.layer_files()[0].from, "opt/aws/aws-otel-collector/bin/aws-otel-collector");
  EXPECT_EQ(a.layer_files()[0].to, "/opt/aws/aws-otel-collector/bin/aws-otel-collector");
  EXPECT_EQ(a.kind(), "adot-collector");  // its layer: layers/adot-collector-<arch>.tar.gz (build::agent_layer_file)
  EXPECT_TRUE(d.warnings.empty());  // no end of support
}

TEST(AdotCollector, GeneratesTheWholeConfig) {
  Descriptor d = adot("  region: eu-west-1\n  endpoint: https://xray.eu-west-1.amazonaws.com\n  local_mode: true\n"
                      "  role_arn: arn:aws:iam::123456789012:role/xray\n  resource_arn: arn:aws:ecs:eu-west-1:1:task/x\n"
                      "  proxy_address: http://proxy:3128\n  buffer_mb: 36\n  flush_grace: 6s\n");
  auto files = agent_for(d).config_files(d);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/etc/xraybake/agent/config.yaml");
  EXPECT_EQ(files[0].out_path, "agent/config.yaml");
  YAML::Node c = YAML::Load(files[0].content);
  EXPECT_EQ(c["receivers"]["awsxray"]["endpoint"].Scalar(), "127.0.0.1:2000");
  EXPECT_EQ(c["receivers"]["awsxray"]["transport"].Scalar(), "udp");
  EXPECT_EQ(c["receivers"]["awsxray"]["proxy_server"]["endpoint"].Scalar(), "127.0.0.1:2000");
  EXPECT_EQ(c["receivers"]["awsxray"]["proxy_server"]["region"].Scalar(), "eu-west-1");
  EXPECT_EQ(c["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].Scalar(), "127.0.0.1:4317");
  EXPECT_EQ(c["receivers"]["otlp"]["protocols"]["http"]["endpoint"].Scalar(), "127.0.0.1:4318");
  EXPECT_EQ(c["processors"]["memory_limiter"]["limit_mib"].as<int>(), 100);  // 64 for the collector + 36
  EXPECT_EQ(c["processors"]["memory_limiter"]["spike_limit_mib"].as<int>(), 20);
  EXPECT_EQ(c["processors"]["batch/traces"]["timeout"].Scalar(), "1s");
  EXPECT_EQ(c["processors"]["batch/traces"]["send_batch_size"].as<int>(), 50);
  YAML::Node e = c["exporters"]["awsxray"];
  EXPECT_EQ(e["region"].Scalar(), "eu-west-1");
  EXPECT_EQ(e["endpoint"].Scalar(), "https://xray.eu-west-1.amazonaws.com");
  EXPECT_EQ(e["role_arn"].Scalar(), "arn:aws:iam::123456789012:role/xray");
  EXPECT_EQ(e["resource_arn"].Scalar(), "arn:aws:ecs:eu-west-1:1:task/x");
  EXPECT_EQ(e["local_mode"].as<bool>(), true);
  EXPECT_EQ(e["proxy_address"].Scalar(), "http://proxy:3128");
  EXPECT_EQ(e["request_timeout_seconds"].as<int>(), 5);  // 1 s batch + 5 s = flush_grace
  EXPECT_EQ(c["extensions"]["health_check"]["endpoint"].Scalar(), "127.0.0.1:13133");
  EXPECT_EQ(strings(c["service"]["extensions"]), std::vector<std::string>{"health_check"});
  YAML::Node t = c["service"]["pipelines"]["traces"];
  EXPECT_EQ(strings(t["receivers"]), (std::vector<std::string>{"otlp", "awsxray"}));
  EXPECT_EQ(strings(t["processors"]), (std::vector<std::string>{"memory_limiter", "batch/traces"}));
  EXPECT_EQ(strings(t["exporters"]), std::vector<std::string>{"awsxray"});
  EXPECT_EQ(agent_for(d).min_flush_grace(d), Millis(6000));
  EXPECT_TRUE(d.warnings.empty());
}

TEST(AdotCollector, ConfigIsMergedOverTheGeneratedOne) {
  Descriptor d = adot("  config:\n"
                      "    processors:\n"
                      "      batch/traces: {send_batch_size: 200}\n"
                      "    exporters:\n"
                      "      awsxray: {indexed_attributes: [otel.resource.team], max_retries: \"2\"}\n"
                      "      debug: {verbosity: basic}\n"
                      "    service:\n"
                      "      pipelines:\n"
                      "        traces: {exporters: [awsxray, debug]}\n");
  YAML::Node c = config(d);
  EXPECT_EQ(c["processors"]["batch/traces"]["send_batch_size"].as<int>(), 200);
  EXPECT_EQ(c["processors"]["batch/traces"]["timeout"].Scalar(), "1s");  // kept
  EXPECT_EQ(c["exporters"]["awsxray"]["request_timeout_seconds"].as<int>(), 4);
  EXPECT_EQ(strings(c["exporters"]["awsxray"]["indexed_attributes"]), std::vector<std::string>{"otel.resource.team"});
  EXPECT_EQ(c["exporters"]["awsxray"]["max_retries"].Tag(), "!");  // quoted stays quoted
  EXPECT_EQ(strings(c["service"]["pipelines"]["traces"]["exporters"]), (std::vector<std::string>{"awsxray", "debug"}));
  EXPECT_EQ(strings(c["service"]["pipelines"]["traces"]["receivers"]), (std::vector<std::string>{"otlp", "awsxray"}));
}

TEST(AdotCollector, ConfigMistakesAreErrorsAtTheirPosition) {
  auto m = messages("  config:\n"                                  // line 6
                    "    recievers: {}\n"                           // 7
                    "    processors:\n"                             // 8
                    "      batch/traces: {timout: 2s}\n"            // 9
                    "      groupbytrace/x: {}\n"                    // 10
                    "      sampler: {}\n"                           // 11
                    "    exporters:\n"                              // 12
                    "      awsxray: {regoin: us-east-1}\n"          // 13
                    "    receivers:\n"                              // 14
                    "      otlp: {protocols: {grpc: {endpont: x}}}\n"  // 15
                    "    service:\n"                                // 16
                    "      pipelines:\n"                            // 17
                    "        traces: {exporters: [awsemf]}\n");     // 18
  std::vector<std::string> want{
      "d.yaml:7:5: unknown section \"recievers\" in agent.config (did you mean \"receivers\"?)",
      "d.yaml:9:22: unknown key \"timout\" in agent.config.processors.batch/traces (did you mean \"timeout\"?)",
      "d.yaml:11:7: agent.config.processors: the ADOT collector has no processor \"sampler\" (it ships: batch, "
      "memory_limiter, attributes, resource, resourcedetection, probabilistic_sampler, filter, metricstransform, "
      "span, k8sattributes, tail_sampling, transform, groupbytrace, groupbyattrs, cumulativetodelta, deltatorate, "
      "metricsgeneration, experimental_metricsgeneration, awsapplicationsignals)",
      "d.yaml:13:17: unknown key \"regoin\" in agent.config.exporters.awsxray (did you mean \"region\"?)",
      "d.yaml:15:33: unknown key \"endpont\" in agent.config.receivers.otlp.protocols.grpc (did you mean "
      "\"endpoint\"?)",
      "d.yaml:18:30: agent.config.service.pipelines.traces.exporters: \"awsemf\" is not defined in exporters (the "
      "collector would not start)"};
  EXPECT_EQ(m, want);
}

TEST(AdotCollector, EndpointsComeFromTheDescriptorsOwnKeys) {
  auto m = messages("  config:\n    receivers:\n      awsxray: {endpoint: \"0.0.0.0:2000\"}\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], "d.yaml:8:27: agent.config.receivers.awsxray.endpoint is set by xraybake from the descriptor: use "
                  "agent.receivers.xray (the app's environment and the readiness checks follow it)");
}

TEST(AdotCollector, ReceiversEnvAndProbes) {
  Descriptor d = adot("  buffer_mb: 16\n");
  const Agent& a = agent_for(d);
  EXPECT_EQ(a.argv(d), (std::vector<std::string>{"/opt/aws/aws-otel-collector/bin/aws-otel-collector", "--config",
                                                 "/etc/xraybake/agent/config.yaml"}));
  EXPECT_EQ(a.agent_env(d), (Env{{"RUN_IN_CONTAINER", "True"}, {"GOMEMLIMIT", "64MiB"}}));
  EXPECT_EQ(a.app_env(d), (Env{{"AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2000"},
                               {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"},
                               {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}}));
  EXPECT_EQ(a.ready_probes(d), (std::vector<std::string>{"udp:127.0.0.1:2000", "tcp:127.0.0.1:2000",
                                                         "tcp:127.0.0.1:4317", "tcp:127.0.0.1:4318",
                                                         "http://127.0.0.1:13133/"}));

  d = adot("  receivers: {xray: \"0.0.0.0:2100\", otlp_http: off, otlp_grpc: \"127.0.0.1:5317\"}\n");
  EXPECT_EQ(a.app_env(d), (Env{{"AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:2100"},
                               {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:5317"},
                               {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}));
  EXPECT_EQ(a.ready_probes(d), (std::vector<std::string>{"udp:0.0.0.0:2100", "tcp:127.0.0.1:2100",
                                                         "tcp:127.0.0.1:5317", "http://127.0.0.1:13133/"}));
  YAML::Node c = config(d);
  EXPECT_FALSE(c["receivers"]["otlp"]["protocols"]["http"]);
  EXPECT_EQ(c["receivers"]["awsxray"]["proxy_server"]["endpoint"].Scalar(), "0.0.0.0:2100");

  d = adot("  receivers: {xray: off}\n");
  EXPECT_EQ(strings(config(d)["service"]["pipelines"]["traces"]["receivers"]), std::vector<std::string>{"otlp"});
  EXPECT_FALSE(config(d)["receivers"]["awsxray"]);
  EXPECT_EQ(a.app_env(d).front().first, "OTEL_EXPORTER_OTLP_ENDPOINT");
}

TEST(AdotCollector, WarnsWhenFlushGraceCannotHoldABatchAndARequest) {
  Descriptor d = adot("  flush_grace: 1500ms\n");
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0].str(),
            "d.yaml:6:16: warning: agent.flush_grace (1500ms) is shorter than adot-collector needs to flush (2s: its "
            "batch timeout plus one export request): spans may be lost on shutdown; raise flush_grace");
  d = adot("  config: {exporters: {awsxray: {request_timeout_seconds: 30}}}\n");
  ASSERT_EQ(d.warnings.size(), 1u);  // 1 s + 30 s > 5 s
}

TEST(AdotCollector, VersionMustBeExactOrPinned) {
  auto m = [](const std::string& agent) {
    try {
      parse_descriptor(kService + agent, "d.yaml");
    } catch (const Error& e) {
      return e.diagnostics().size();
    }
    return size_t{0};
  };
  EXPECT_EQ(m("agent: {kind: adot-collector, version: latest}\n"), 2u);  // amd64 and arm64 unpinned
  std::string pin(64, 'a');
  EXPECT_EQ(m("agent: {kind: adot-collector, version: latest, sha256: {amd64: " + pin + ", arm64: " + pin + "}}\n"),
            0u);
  Descriptor d = parse_descriptor(
      kService + "agent: {kind: adot-collector, version: latest, sha256: {amd64: " + pin + ", arm64: " + pin + "}}\n",
      "d.yaml");
  EXPECT_EQ(agent_for(d).package(d).url,
            "https://aws-otel-collector.s3.amazonaws.com/ubuntu/{arch}/{version}/aws-otel-collector.deb");
  EXPECT_EQ(m("agent: {kind: adot-collector}\n"), 1u);
}

}  // namespace
}  // namespace xb::agents
