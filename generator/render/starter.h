// The starter descriptor that `xraybake init` writes (templates/xraybake.yaml.mustache).
#pragma once

#include <string>

#include "render/render.h"

namespace xb {

// NAME and BASE are written as YAML double-quoted strings where they are values.
std::string render_starter(const std::string& name, const std::string& base, const RenderOptions& options);

}  // namespace xb
