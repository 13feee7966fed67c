#include "migrate/yaml_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace xb::migrate {

namespace {

bool blank_char(char c) { return c == ' ' || c == '\t'; }
bool eol_char(char c) { return c == '\n' || c == '\r'; }
bool flow_indicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }
// The end of S, or where a plain token stops: a blank, a line end, and in a
// flow collection , ] }.
bool token_stop(std::string_view s, size_t i, bool flow) {
  return i >= s.size() || blank_char(s[i]) || eol_char(s[i]) || (flow && flow_indicator(s[i]));
}

// One past the closing quote of the quoted scalar at POS; npos when it is
// unclosed, or (ONE_LINE) closes on a later line.
size_t quoted_end(std::string_view s, size_t pos, bool one_line) {
  const char q = s[pos];
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (one_line && eol_char(s[i])) return npos;
    if (q == '"' && s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] != q) continue;
    if (q == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
      ++i;
      continue;
    }
    return i + 1;
  }
  return npos;
}

// A '#' starts a comment at the start of a line or after a blank.
bool comment_here(std::string_view s, size_t i) {
  return s[i] == '#' && (i == 0 || blank_char(s[i - 1]) || eol_char(s[i - 1]));
}

size_t line_end(std::string_view s, size_t pos) {
  while (pos < s.size() && !eol_char(s[pos])) ++pos;
  return pos;
}

// One past the ] or } that closes the collection opening at POS.
size_t flow_end(std::string_view s, size_t pos) {
  int depth = 0;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      // A quote opens a scalar only where a token starts.
      size_t j = i;
      while (j > pos && blank_char(s[j - 1])) --j;
      char before = j > pos ? s[j - 1] : '{';
      if (flow_indicator(before) || before == ':' || eol_char(before)) {
        size_t e = quoted_end(s, i, false);
        if (e == npos) return npos;
        i = e - 1;
      }
    } else if (comment_here(s, i)) {
      i = line_end(s, i) - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return npos;
}

}  // namespace

Text::Text(std::string_view text) : text_(text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t next = nl == npos ? text.size() : nl + 1;
    size_t end = nl == npos ? text.size() : nl;
    if (end > pos && text[end - 1] == '\r') --end;
    lines_.push_back({pos, end, next});
    pos = next;
  }
}

std::string_view Text::body(size_t line) const {
  return text_.substr(lines_[line].begin, lines_[line].end - lines_[line].begin);
}

std::string_view Text::eol(size_t line) const {
  return text_.substr(lines_[line].end, lines_[line].next - lines_[line].end);
}

size_t Text::line_of(size_t pos) const {
  auto it = std::upper_bound(lines_.begin(), lines_.end(), pos, [](size_t p, const Line& l) { return p < l.next; });
  return it == lines_.end() ? lines_.size() - 1 : static_cast<size_t>(it - lines_.begin());
}

std::string_view Text::eol_style() const {
  for (size_t i = 0; i < lines_.size(); ++i)
    if (!eol(i).empty()) return eol(i);
  return "\n";
}

bool Text::blank(size_t line) const {
  auto b = body(line);
  return std::all_of(b.begin(), b.end(), blank_char);
}

bool Text::comment_only(size_t line) const {
  auto b = body(line);
  size_t p = skip_blanks(b, 0);
  return p < b.size() && b[p] == '#';
}

bool Text::document_marker(size_t line) const {
  auto b = body(line);
  return (b.starts_with("---") || b.starts_with("...")) && (b.size() == 3 || blank_char(b[3]));
}

size_t Text::indent(size_t line) const {
  auto b = body(line);
  size_t n = 0;
  while (n < b.size() && b[n] == ' ') ++n;
  return n;
}

size_t skip_blanks(std::string_view s, size_t pos) {
  while (pos < s.size() && blank_char(s[pos])) ++pos;
  return pos;
}

size_t skip_flow_space(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    if (blank_char(s[pos]) || eol_char(s[pos]))
      ++pos;
    else if (comment_here(s, pos))
      pos = line_end(s, pos);
    else
      break;
  }
  return pos;
}

size_t skip_properties(std::string_view s, size_t pos) {
  pos = skip_blanks(s, pos);
  while (pos < s.size() && (s[pos] == '&' || s[pos] == '!')) {
    while (!token_stop(s, pos, false)) ++pos;
    pos = skip_blanks(s, pos);
  }
  return pos;
}

size_t node_end(std::string_view s, size_t pos, bool flow) {
  pos = skip_properties(s, pos);
  if (pos >= s.size() || eol_char(s[pos]) || comment_here(s, pos)) return npos;
  char c = s[pos];
  if (c == '*') {
    size_t i = pos + 1;
    while (!token_stop(s, i, flow)) ++i;
    return i;
  }
  if (c == '"' || c == '\'') return quoted_end(s, pos, true);
  if (c == '{' || c == '[') return flow_end(s, pos);
  if (c == '|' || c == '>') return npos;
  size_t i = pos;
  size_t last = pos;  // one past the last non-blank
  for (; i < s.size() && !eol_char(s[i]); ++i) {
    if (comment_here(s, i)) break;
    if (flow && flow_indicator(s[i])) break;
    if (s[i] == ':' && (i + 1 >= s.size() || blank_char(s[i + 1]) || eol_char(s[i + 1]))) break;
    if (!blank_char(s[i])) last = i + 1;
  }
  return last;
}

size_t key_end(std::string_view s, size_t pos, bool flow) {
  if (pos >= s.size()) return npos;
  if (s[pos] == '"' || s[pos] == '\'') return quoted_end(s, pos, true);
  if (s[pos] == '?' || s[pos] == '*' || s[pos] == '&' || s[pos] == '!') return npos;
  size_t last = pos;
  for (size_t i = pos; i < s.size() && !eol_char(s[i]); ++i) {
    if (s[i] == ':' && (i + 1 >= s.size() || blank_char(s[i + 1]) || eol_char(s[i + 1]) ||
                        (flow && flow_indicator(s[i + 1]))))
      return last;
    if (flow && flow_indicator(s[i])) return last;
    if (!blank_char(s[i])) last = i + 1;
  }
  return npos;
}

size_t value_start(std::string_view s, size_t key_pos, bool flow) {
  size_t e = key_end(s, key_pos, flow);
  if (e == npos) return npos;
  e = flow ? skip_flow_space(s, e) : skip_blanks(s, e);
  if (e >= s.size() || s[e] != ':') return npos;
  return flow ? skip_flow_space(s, e + 1) : skip_blanks(s, e + 1);
}

size_t comment_at(std::string_view s, size_t pos) {
  pos = skip_blanks(s, pos);
  return pos < s.size() && s[pos] == '#' ? pos : npos;
}

std::vector<Comment> comments_in(std::string_view s, size_t from, size_t to) {
  std::vector<Comment> out;
  to = std::min(to, s.size());
  for (size_t i = from; i < to; ++i) {
    char c = s[i];
    if (c == '"' || c == '\'') {
      size_t j = i;
      while (j > from && blank_char(s[j - 1])) --j;
      char before = j > from ? s[j - 1] : '\n';
      if (flow_indicator(before) || before == ':' || before == '-' || eol_char(before)) {
        size_t e = quoted_end(s, i, false);
        if (e == npos) break;
        i = e - 1;
      }
    } else if (comment_here(s, i)) {
      size_t e = line_end(s, i);
      out.push_back({i, std::string(s.substr(i, e - i))});
      i = e - 1;
    }
  }
  return out;
}

std::string scalar_text(const std::string& value) {
  auto plain_ok = [&] {
    if (value.empty() || blank_char(value.front()) || blank_char(value.back())) return false;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(value.front()) != npos) return false;
    if (value.back() == ':') return false;
    for (size_t i = 0; i < value.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(value[i]);
      if (c < 0x20 || c == 0x7f || flow_indicator(value[i])) return false;
      if (value[i] == ':' && i + 1 < value.size() && blank_char(value[i + 1])) return false;
      if (value[i] == '#' && i > 0 && blank_char(value[i - 1])) return false;
    }
    return true;
  };
  if (plain_ok()) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace xb::migrate
