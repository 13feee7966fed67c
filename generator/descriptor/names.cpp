// Small conversions of descriptor values used by every output.
#include "descriptor/descriptor.h"

namespace xb {

std::string platform_arch(std::string_view platform) {
  auto slash = platform.find('/');
  return std::string(slash == std::string_view::npos ? platform : platform.substr(slash + 1));
}

std::string user_string(const ServiceSpec& service) {
  return std::to_string(service.uid) + ":" + std::to_string(service.gid);
}

}  // namespace xb
