#include "migrate/unified_diff.h"

#include <dtl/dtl.hpp>

#include <algorithm>
#include <vector>

namespace xb::migrate {

namespace {

// Lines with their terminators: "a\n", "b\r\n", and "c" for a last line without one.
std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    out.emplace_back(text.substr(pos, next - pos));
    pos = next;
  }
  return out;
}

struct Op {
  char mark;  // ' ', '-', '+'
  const std::string* line;
};

// "-3,4", "-3" for one line, "-2,0" for none (the line before).
std::string range(char sign, size_t start, size_t count) {
  std::string s(1, sign);
  s += std::to_string(count == 0 ? start - 1 : start);
  if (count != 1) s += "," + std::to_string(count);
  return s;
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, const std::string& path) {
  if (before == after) return "";
  const auto a = split(before);
  const auto b = split(after);
  dtl::Diff<std::string> diff(a, b);
  diff.compose();
  std::vector<Op> ops;
  for (const auto& [line, info] : diff.getSes().getSequence()) {
    // Point into a and b (the SES holds copies).
    if (info.type == dtl::SES_ADD)
      ops.push_back({'+', &b[static_cast<size_t>(info.afterIdx - 1)]});
    else if (info.type == dtl::SES_DELETE)
      ops.push_back({'-', &a[static_cast<size_t>(info.beforeIdx - 1)]});
    else
      ops.push_back({' ', &a[static_cast<size_t>(info.beforeIdx - 1)]});
  }
  // Within each run of changes, the removed lines first, as diff -u prints them.
  for (size_t i = 0; i < ops.size();) {
    size_t j = i;
    while (j < ops.size() && ops[j].mark != ' ') ++j;
    std::stable_partition(ops.begin() + static_cast<std::ptrdiff_t>(i), ops.begin() + static_cast<std::ptrdiff_t>(j),
                          [](const Op& o) { return o.mark == '-'; });
    i = j == i ? i + 1 : j;
  }
  constexpr size_t context = 3;
  std::string out = "--- " + path + "\n+++ " + path + "\n";
  size_t i = 0;
  size_t line_a = 1, line_b = 1;  // numbers of the line at ops[i]
  while (i < ops.size()) {
    // The next change, and the hunk around it with every change closer than 2 * context.
    size_t first = i;
    while (first < ops.size() && ops[first].mark == ' ') ++first;
    if (first == ops.size()) break;
    size_t start = first > i + context ? first - context : i;
    size_t end = first;  // one past the last change of the hunk
    for (size_t k = first; k < ops.size(); ++k) {
      if (ops[k].mark != ' ') {
        end = k + 1;
      } else if (k - end >= 2 * context) {
        break;
      }
    }
    size_t stop = std::min(ops.size(), end + context);
    for (size_t k = i; k < start; ++k) ++line_a, ++line_b;
    size_t count_a = 0, count_b = 0;
    for (size_t k = start; k < stop; ++k) {
      if (ops[k].mark != '+') ++count_a;
      if (ops[k].mark != '-') ++count_b;
    }
    out += "@@ " + range('-', line_a, count_a) + " " + range('+', line_b, count_b) + " @@\n";
    for (size_t k = start; k < stop; ++k) {
      out += ops[k].mark;
      out += *ops[k].line;
      if (ops[k].line->empty() || ops[k].line->back() != '\n') out += "\n\\ No newline at end of file\n";
    }
    line_a += count_a;
    line_b += count_b;
    i = stop;
  }
  return out;
}

}  // namespace xb::migrate
