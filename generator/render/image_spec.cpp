// What the image runs and with which environment: shared by the Dockerfile,
// the entrypoint script, the ECS fragment and the OCI image config.
#include "render/render.h"

namespace xb {

std::vector<std::string> image_entrypoint() {
  return {std::string(kInitPath), "--config", std::string(kInitConfPath), "--"};
}

std::vector<std::string> app_command(const Descriptor& desc, const RenderOptions& options) {
  if (!desc.service.command.empty()) return desc.service.command;
  if (options.base_command) return *options.base_command;
  return {};
}

std::vector<std::pair<std::string, std::string>> image_env(const Descriptor& desc) {
  std::vector<std::pair<std::string, std::string>> env;
  env.emplace_back("AWS_XRAY_DAEMON_ADDRESS", sdk_daemon_address(desc.xray));
  for (const auto& kv : desc.service.env) env.push_back(kv);
  return env;
}

}  // namespace xb
