// otelcol-contrib: the OpenTelemetry Collector's contrib build from the
// project's GitHub releases (agents.md): /usr/bin/otelcol-contrib, logs to
// stderr by itself, checked against the release's checksums file (its cosign
// signatures need the network: docs/agents.md). Its build ships over two
// hundred components, so component types are not listed here; the keys of the
// components xraybake writes and the pipelines are checked as for ADOT.
#include "agents/otel_collector.h"

namespace xb::agents {

namespace {

constexpr std::string_view kContribUrl =
    "https://github.com/open-telemetry/opentelemetry-collector-releases/releases/download/v{version}/"
    "otelcol-contrib_{version}_linux_{arch}.deb";

class OtelcolContrib final : public OtelCollector {
 public:
  std::string_view kind() const override { return "otelcol-contrib"; }
  std::string_view binary() const override { return "/usr/bin/otelcol-contrib"; }
  std::string_view display_name() const override { return "OpenTelemetry Collector contrib"; }
  std::string_view example_version() const override { return "0.131.0"; }
  std::string_view package_name() const override { return "otelcol-contrib"; }

  Package package(const Descriptor& desc) const override {
    const AgentSpec& a = *desc.agent;
    Package p{"agent", a.url.empty() ? std::string(kContribUrl) : a.url, a.region, a.version, a.sha256, a.signing_key,
              "check agent.version (" + a.version + "; a release such as 0.131.0) and the architecture",
              "otelcol-contrib", "XRAYBAKE_OTELCOL_URL"};
    p.checksums_file = "opentelemetry-collector-releases_otelcol-contrib_checksums.txt";
    return p;
  }

  const std::vector<std::string>* components(const std::string&) const override { return nullptr; }
};

}  // namespace

const Agent& otelcol_contrib_agent() {
  static const OtelcolContrib agent;
  return agent;
}

}  // namespace xb::agents
