#include "descriptor/exclude_globs.h"

#include <fnmatch.h>

#include <algorithm>

#include "util/strings.h"

namespace xb {
namespace {

// The names of PATH without "." ("./a/" is "a").
std::vector<std::string> split(std::string_view path) {
  auto out = path_parts(path);
  out.erase(std::remove(out.begin(), out.end(), "."), out.end());
  return out;
}

// Whether PARTS[i..] matches a prefix of NAMES[j..] that ends at a name
// boundary (the rest of NAMES is then under a matched directory).
bool match(const std::vector<std::string>& parts, size_t i, const std::vector<std::string>& names, size_t j) {
  if (i == parts.size()) return true;  // what is left is inside what matched
  if (parts[i] == "**") {
    for (size_t k = j; k <= names.size(); ++k)
      if (match(parts, i + 1, names, k)) return true;
    return false;
  }
  if (j == names.size()) return false;
  if (fnmatch(parts[i].c_str(), names[j].c_str(), 0) != 0) return false;
  return match(parts, i + 1, names, j + 1);
}

}  // namespace

std::optional<std::string> exclude_pattern_problem(std::string_view pattern) {
  std::string_view p = pattern;
  if (!p.empty() && p.front() == '!') p.remove_prefix(1);
  if (split(p).empty()) return "matches everything (or nothing); name the files to leave out, e.g. \"**/*.pdb\"";
  for (const auto& part : split(p))
    if (part == "..") return "must not contain \"..\": patterns are relative to the descriptor's directory";
  bool open = false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (++i == p.size()) return "ends with a lone \\";
    } else if (p[i] == '[') {
      if (open) return "has a '[' inside a [...] class";
      open = true;
    } else if (p[i] == ']') {
      open = false;
    } else if (p[i] == '/' && open) {
      return "has a '/' inside a [...] class";
    }
  }
  if (open) return "has a '[' without its ']'";
  return std::nullopt;
}

ExcludeRules::ExcludeRules(const std::vector<std::string>& patterns) {
  for (const auto& pattern : patterns) {
    Rule r;
    std::string_view p = pattern;
    if (!p.empty() && p.front() == '!') {
      r.negate = true;
      has_exceptions_ = true;
      p.remove_prefix(1);
    }
    r.parts = split(p);
    rules_.push_back(std::move(r));
  }
}

bool ExcludeRules::excluded(std::string_view rel) const {
  auto names = split(rel);
  bool out = false;
  for (const auto& r : rules_)
    if (match(r.parts, 0, names, 0)) out = !r.negate;
  return out;
}

}  // namespace xb
