#include "descriptor/problems.h"

#include <algorithm>

namespace xb {

static Diagnostic at(const std::string& file, const YAML::Mark& mark, std::string message) {
  Diagnostic d;
  d.file = file;
  d.line = mark.line >= 0 ? mark.line + 1 : 1;
  d.column = mark.column >= 0 ? mark.column + 1 : 1;
  d.message = std::move(message);
  return d;
}

void Problems::add(const YAML::Mark& mark, std::string message) { list_.push_back(at(file_, mark, std::move(message))); }

void Problems::warn(const YAML::Mark& mark, std::string message) {
  warnings_.push_back(at(file_, mark, "warning: " + std::move(message)));
}

void Problems::raise_if_any() {
  if (list_.empty()) return;
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  throw Error(ExitCode::bad_input, list_);
}

}  // namespace xb
