// libFuzzer target: xb::parse_descriptor on arbitrary bytes. A bad descriptor
// must end in xb::Error; any other exception, a crash or a sanitizer report is
// a finding. A descriptor that parses is also run through what the build does
// with it next (platforms, base reference, daemon addresses, durations).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "descriptor/descriptor.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)xb::parse_duration(text);
  try {
    xb::Descriptor d = xb::parse_descriptor(text, "/fuzz/xraybake.yaml");
    for (const auto& p : d.service.platforms) (void)xb::platform_arch(p);
    (void)xb::parse_base(d);
    (void)xb::daemon_udp_address(d.xray);
    (void)xb::daemon_tcp_address(d.xray);
    (void)xb::sdk_daemon_address(d.xray);
    (void)xb::format_duration(d.service.stop_timeout);
    (void)d.xray.config.dump();
  } catch (const xb::Error&) {
  }
  return 0;
}
