#include "cli/options.h"

#include <cstdlib>

namespace xb::cli {

std::string default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/xraybake";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/xraybake";
  return ".xraybake-cache";
}

}  // namespace xb::cli
