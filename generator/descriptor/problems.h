// Collects every problem of a descriptor with its position, so that all of
// them are reported at once.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "util/error.h"

namespace xb {

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  // MARK is yaml-cpp's (0-based); diagnostics are 1-based.
  void add(const YAML::Mark& mark, std::string message);
  void warn(const YAML::Mark& mark, std::string message);
  bool empty() const { return list_.empty(); }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }
  // Throws xb::Error(bad_input) with every problem, sorted by position.
  void raise_if_any();

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace xb
