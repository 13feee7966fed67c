#include "deb/entry_path.h"

#include <vector>

namespace xb::deb {

// Appends the components of PATH to PARTS, applying "." and "..";
// false when ".." would climb above the root.
static bool push_components(std::vector<std::string_view>& parts, std::string_view path) {
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return true;
}

static std::string join(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::optional<std::string> normalize_entry_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return std::nullopt;
  // Any ".." is refused, even one that would stay inside: packages don't need it.
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    if (part == "..") return std::nullopt;
    if (part.empty() || part == ".") continue;
    parts.push_back(part);
  }
  return join(parts);
}

std::optional<std::string> resolve_symlink(std::string_view entry, std::string_view target) {
  std::vector<std::string_view> parts;
  if (target.empty()) return std::nullopt;
  if (target.front() != '/') {
    size_t slash = entry.rfind('/');
    if (slash != std::string_view::npos && !push_components(parts, entry.substr(0, slash))) return std::nullopt;
  }
  if (!push_components(parts, target)) return std::nullopt;
  return join(parts);
}

}  // namespace xb::deb
