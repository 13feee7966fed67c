// What the image runs and with which environment: shared by the Dockerfile,
// the entrypoint script, the ECS fragment and the OCI image config.
#include "render/render.h"

#include "agents/agent.h"

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
  std::vector<std::pair<std::string, std::string>> env = agents::agent_for(desc).app_env(desc);
  for (const auto& kv : desc.service.env) env.push_back(kv);
  return env;
}

}  // namespace xb
