#include "agents/config_path.h"

namespace xb::agents {

// Const lookups add no key, and copies (not assignment or reset(), which write
// or throw) walk down.
std::optional<YAML::Node> find(const YAML::Node& config, const std::vector<std::string>& path, size_t i) {
  if (i == path.size()) return config;
  if (!config.IsDefined() || !config.IsMap()) return std::nullopt;
  const YAML::Node child = config[path[i]];
  if (!child.IsDefined()) return std::nullopt;
  return find(child, path, i + 1);
}

std::optional<YAML::Mark> set_at(const YAML::Node& config, const std::vector<std::string>& path) {
  auto n = find(config, path);
  if (!n || n->IsNull()) return std::nullopt;
  return n->Mark();
}

}  // namespace xb::agents
