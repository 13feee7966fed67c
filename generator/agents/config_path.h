// Looking up a path of keys in agent.config (yaml-cpp) without writing to it
// or touching a missing node (a const operator[] on a missing key gives a
// zombie node whose reset(), IsMap() or Type() throw).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

namespace xb::agents {

// CONFIG's node at PATH, or nothing.
std::optional<YAML::Node> find(const YAML::Node& config, const std::vector<std::string>& path, size_t i = 0);

// Where CONFIG sets PATH to something that is not null.
std::optional<YAML::Mark> set_at(const YAML::Node& config, const std::vector<std::string>& path);

}  // namespace xb::agents
