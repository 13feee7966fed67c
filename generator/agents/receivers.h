// The receivers every trace agent kind but the daemon opens (agent.receivers:
// the X-Ray UDP/TCP address and OTLP gRPC/HTTP on loopback by default, "off"
// turns one off), what the supervisor probes before starting the app, and
// what the app is told to send to. Shared by the collectors and the CloudWatch agent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agents/agent.h"

namespace xb::agents {

struct Receivers {
  std::optional<std::string> xray, grpc, http;  // nothing: off
};

inline const std::string kXrayReceiverDefault = "127.0.0.1:2000";
inline const std::string kOtlpGrpcDefault = "127.0.0.1:4317";
inline const std::string kOtlpHttpDefault = "127.0.0.1:4318";

Receivers receivers_of(const AgentSpec& a);

// A wildcard host is still reached on loopback inside the container.
std::string reachable(const std::string& address);

// udp+tcp for the X-Ray receiver (segments and the sampling proxy), tcp for each OTLP one.
std::vector<std::string> receiver_probes(const Receivers& r);

// AWS_XRAY_DAEMON_ADDRESS, and OTEL_EXPORTER_OTLP_ENDPOINT/PROTOCOL (HTTP preferred).
Env receiver_app_env(const Receivers& r);

}  // namespace xb::agents
