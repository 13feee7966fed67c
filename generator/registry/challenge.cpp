#include "registry/challenge.h"

#include <cctype>

#include "util/strings.h"

namespace xb::registry {

namespace {

struct Scanner {
  std::string_view s;
  size_t i = 0;
  void spaces() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  bool at_end() const { return i >= s.size(); }
  std::string token() {
    size_t start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t') ++i;
    return std::string(s.substr(start, i - start));
  }
  std::string quoted() {
    std::string out;
    ++i;  // opening quote
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out += s[i++];
    }
    if (i < s.size()) ++i;
    return out;
  }
};

}  // namespace

std::vector<Challenge> parse_challenges(const std::vector<std::string>& values) {
  std::vector<Challenge> out;
  for (const auto& value : values) {
    Scanner sc{value};
    while (true) {
      sc.spaces();
      while (!sc.at_end() && sc.s[sc.i] == ',') ++sc.i, sc.spaces();
      if (sc.at_end()) break;
      std::string word = sc.token();
      sc.spaces();
      if (!sc.at_end() && sc.s[sc.i] == '=' && !out.empty()) {
        // name=value of the current challenge
        ++sc.i;
        sc.spaces();
        std::string v = (!sc.at_end() && sc.s[sc.i] == '"') ? sc.quoted() : sc.token();
        out.back().params[lower(word)] = v;
      } else if (!word.empty()) {
        out.push_back(Challenge{lower(word), {}});
      } else {
        ++sc.i;  // stray character
      }
    }
  }
  return out;
}

std::optional<Challenge> pick_challenge(const std::vector<std::string>& values) {
  std::optional<Challenge> basic;
  for (auto& c : parse_challenges(values)) {
    if (c.scheme == "bearer") return c;
    if (c.scheme == "basic" && !basic) basic = c;
  }
  return basic;
}

}  // namespace xb::registry
