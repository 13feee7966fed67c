#include "descriptor/problems.h"

#include <algorithm>

namespace xb {

void Problems::add(const YAML::Mark& mark, std::string message) {
  Diagnostic d;
  d.file = file_;
  d.line = mark.line >= 0 ? mark.line + 1 : 1;
  d.column = mark.column >= 0 ? mark.column + 1 : 1;
  d.message = std::move(message);
  list_.push_back(std::move(d));
}

void Problems::raise_if_any() {
  if (list_.empty()) return;
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  throw Error(ExitCode::bad_input, list_);
}

}  // namespace xb
