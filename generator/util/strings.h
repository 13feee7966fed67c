// Small string helpers the standard library lacks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xb {

// "a, b, c" for join({"a", "b", "c"}, ", ").
inline std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace xb
