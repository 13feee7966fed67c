// Small string helpers the standard library lacks.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// "0.41 s": a duration as the build lines print it.
inline std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  return buf;
}

// "a, b, c" for join({"a", "b", "c"}, ", ").
inline std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// Whether S is lowercase hex digits only (and not empty): digests, suffixes.
inline bool is_lower_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Whether S is a SHA-256 as digests spell it: 64 lowercase hex digits.
inline bool is_sha256_hex(std::string_view s) { return s.size() == 64 && is_lower_hex(s); }

// S with A-Z as a-z (ASCII only: hex digests, header and scheme names).
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The names of a '/'-separated path, empty ones ("a//b", a leading or
// trailing '/') left out: "/usr//bin/" -> {"usr", "bin"}; "." and ".." kept.
inline std::vector<std::string> path_parts(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.emplace_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

}  // namespace xb
