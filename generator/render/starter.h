// The starter descriptor that `xraybake init` writes (templates/xraybake.yaml.mustache).
#pragma once

#include <string>

#include "render/render.h"

namespace xb {

// NAME, BASE, the agent's KIND and VERSION are written as YAML double-quoted strings.
std::string render_starter(const std::string& name, const std::string& base, const std::string& kind,
                           const std::string& version, const RenderOptions& options);

}  // namespace xb
