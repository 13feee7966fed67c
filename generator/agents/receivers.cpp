#include "agents/receivers.h"

namespace xb::agents {

namespace {

std::optional<std::string> on(const std::optional<std::string>& set, const std::string& fallback) {
  std::string v = set.value_or(fallback);
  if (v == "off") return std::nullopt;
  return v;
}

}  // namespace

Receivers receivers_of(const AgentSpec& a) {
  return {on(a.receivers.xray, kXrayReceiverDefault), on(a.receivers.otlp_grpc, kOtlpGrpcDefault),
          on(a.receivers.otlp_http, kOtlpHttpDefault)};
}

std::string reachable(const std::string& address) {
  auto colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1" + address.substr(colon);
  if (host == "[::]") return "[::1]" + address.substr(colon);
  return address;
}

std::vector<std::string> receiver_probes(const Receivers& r) {
  std::vector<std::string> probes;
  if (r.xray) {
    probes.push_back("udp:" + *r.xray);
    probes.push_back("tcp:" + reachable(*r.xray));
  }
  if (r.grpc) probes.push_back("tcp:" + reachable(*r.grpc));
  if (r.http) probes.push_back("tcp:" + reachable(*r.http));
  return probes;
}

Env receiver_app_env(const Receivers& r) {
  Env env;
  if (r.xray) env.emplace_back("AWS_XRAY_DAEMON_ADDRESS", reachable(*r.xray));
  if (r.http) {
    env.emplace_back("OTEL_EXPORTER_OTLP_ENDPOINT", "http://" + reachable(*r.http));
    env.emplace_back("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
  } else if (r.grpc) {
    env.emplace_back("OTEL_EXPORTER_OTLP_ENDPOINT", "http://" + reachable(*r.grpc));
    env.emplace_back("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
  }
  return env;
}

}  // namespace xb::agents
