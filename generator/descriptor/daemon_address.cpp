// Where the daemon listens and where the app's SDK should send segments.
#include "descriptor/descriptor.h"

namespace xb {

static std::string socket_address(const XraySpec& xray, const char* key) {
  const auto& config = xray.config;
  if (config.contains("Socket") && config["Socket"].is_object() && config["Socket"].contains(key) &&
      config["Socket"][key].is_string())
    return config["Socket"][key].get<std::string>();
  return std::string(kDefaultDaemonAddress);
}

std::string daemon_udp_address(const XraySpec& xray) { return socket_address(xray, "UDPAddress"); }
std::string daemon_tcp_address(const XraySpec& xray) { return socket_address(xray, "TCPAddress"); }

// A daemon bound to every interface is still reached on loopback from inside
// the container.
static std::string reachable(std::string address) {
  auto colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1" + address.substr(colon == std::string::npos ? address.size() : colon);
  // Go binds [::] dual-stack; the Node SDK can not parse an IPv6 address.
  if (host == "[::]") return "127.0.0.1" + address.substr(colon);
  return address;
}

std::string sdk_daemon_address(const XraySpec& xray) {
  std::string udp = reachable(daemon_udp_address(xray));
  std::string tcp = reachable(daemon_tcp_address(xray));
  if (udp == tcp) return udp;
  return "tcp:" + tcp + " udp:" + udp;
}

}  // namespace xb
