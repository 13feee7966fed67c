// service.exclude: .dockerignore patterns, matched against paths relative to
// the descriptor's directory ("publish/App.pdb"). Each pattern is split at
// '/'; a "**" part matches any number of directories (none too), any other
// part is an fnmatch(3) pattern of one name (*, ?, [...], \ escapes; '*'
// matches a leading '.' too, as Docker's). A leading '/' and a trailing '/'
// are dropped ("/.git/" is ".git"); a pattern that matches a directory
// excludes everything under it. "!PATTERN" includes again what an earlier
// pattern excluded; the last pattern that matches decides.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// Why PATTERN is not a valid exclude pattern, or nullopt when it is.
std::optional<std::string> exclude_pattern_problem(std::string_view pattern);

class ExcludeRules {
 public:
  ExcludeRules() = default;
  // PATTERNS must each be valid (exclude_pattern_problem).
  explicit ExcludeRules(const std::vector<std::string>& patterns);
  // REL: a clean relative path with '/' between names, no leading "./".
  bool excluded(std::string_view rel) const;
  // Whether a "!" pattern exists: an excluded directory may then hold included files.
  bool has_exceptions() const { return has_exceptions_; }

 private:
  struct Rule {
    std::vector<std::string> parts;
    bool negate = false;
  };
  std::vector<Rule> rules_;
  bool has_exceptions_ = false;
};

}  // namespace xb
