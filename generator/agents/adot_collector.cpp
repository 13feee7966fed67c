// adot-collector: the AWS Distro for OpenTelemetry collector (agents.md):
// AWS's global bucket, the binary under /opt/aws, the components of the ADOT
// build, and RUN_IN_CONTAINER (else it logs to a file under logs/). The
// config, probes and environment are every collector's (otel_collector.h).
#include "agents/otel_collector.h"

namespace xb::agents {

namespace {

constexpr std::string_view kAdotUrl =
    "https://aws-otel-collector.s3.amazonaws.com/ubuntu/{arch}/v{version}/aws-otel-collector.deb";
// A moving name ("latest") stands in place of v{version}.
constexpr std::string_view kMovingUrl =
    "https://aws-otel-collector.s3.amazonaws.com/ubuntu/{arch}/{version}/aws-otel-collector.deb";

// The components the ADOT collector build ships (v0.49.0), by section.
const std::map<std::string, std::vector<std::string>>& shipped() {
  static const std::map<std::string, std::vector<std::string>> m{
      {"receivers",
       {"otlp", "awsxray", "awscontainerinsightreceiver", "awsecscontainermetrics", "jaeger", "kafka", "prometheus",
        "statsd", "zipkin", "hostmetrics", "filelog", "k8s_cluster", "k8s_events", "k8sobjects", "kubeletstats",
        "collectd"}},
      {"processors",
       {"batch", "memory_limiter", "attributes", "resource", "resourcedetection", "probabilistic_sampler", "filter",
        "metricstransform", "span", "k8sattributes", "tail_sampling", "transform", "groupbytrace", "groupbyattrs",
        "cumulativetodelta", "deltatorate", "metricsgeneration", "experimental_metricsgeneration",
        "awsapplicationsignals"}},
      {"exporters",
       {"awsxray", "awsemf", "awscloudwatchlogs", "prometheusremotewrite", "prometheus", "otlp", "otlphttp", "debug",
        "logging", "file", "kafka", "loadbalancing", "awss3"}},
      {"extensions",
       {"health_check", "pprof", "zpages", "sigv4auth", "ecs_observer", "awsproxy", "file_storage",
        "memory_ballast"}},
      {"connectors", {"spanmetrics", "forward", "count", "routing"}},
  };
  return m;
}

class AdotCollector final : public OtelCollector {
 public:
  std::string_view kind() const override { return "adot-collector"; }
  std::string_view binary() const override { return "/opt/aws/aws-otel-collector/bin/aws-otel-collector"; }
  std::string_view display_name() const override { return "ADOT collector"; }
  std::string_view example_version() const override { return "0.49.0"; }
  std::string_view package_name() const override { return "aws-otel-collector"; }

  Package package(const Descriptor& desc) const override {
    const AgentSpec& a = *desc.agent;
    std::string url = a.url.empty() ? std::string(exact_version(a.version) ? kAdotUrl : kMovingUrl) : a.url;
    return {"agent", url, a.region, a.version, a.sha256, a.signing_key,
            "check agent.version (" + a.version + "; an exact version such as 0.49.0) and the architecture",
            "ADOT collector", "XRAYBAKE_ADOT_URL"};
  }

  const std::vector<std::string>* components(const std::string& section) const override {
    auto it = shipped().find(section);
    return it == shipped().end() ? nullptr : &it->second;
  }

  // Logs to stderr, not to a rotating file under logs/.
  Env agent_env(const Descriptor& desc) const override {
    Env env{{"RUN_IN_CONTAINER", "True"}};
    for (auto& kv : OtelCollector::agent_env(desc)) env.push_back(std::move(kv));
    return env;
  }
};

}  // namespace

const Agent& adot_collector_agent() {
  static const AdotCollector agent;
  return agent;
}

}  // namespace xb::agents
