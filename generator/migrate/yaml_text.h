// The text of a YAML file as lines and tokens, for editing it by ranges:
// yaml-cpp gives where a node starts (its Mark) but forgets comments and
// where a node ends; these scanners find the rest in the original text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xb::migrate {

inline constexpr size_t npos = std::string_view::npos;

// The file as lines: body [begin, end), terminator [end, next) ("\n", "\r\n",
// or nothing for a last line without one).
class Text {
 public:
  explicit Text(std::string_view text);

  std::string_view all() const { return text_; }
  size_t size() const { return lines_.size(); }
  std::string_view body(size_t line) const;
  std::string_view eol(size_t line) const;
  size_t begin(size_t line) const { return lines_[line].begin; }
  size_t end(size_t line) const { return lines_[line].end; }
  // The line that holds byte POS.
  size_t line_of(size_t pos) const;
  // The terminator new lines get: the first line's ("\r\n" in a CRLF file).
  std::string_view eol_style() const;

  bool blank(size_t line) const;         // only spaces and tabs
  bool comment_only(size_t line) const;  // first non-blank is '#'
  bool content(size_t line) const { return !blank(line) && !comment_only(line); }
  // A document marker (--- or ... at column 0).
  bool document_marker(size_t line) const;
  size_t indent(size_t line) const;  // leading spaces

 private:
  struct Line {
    size_t begin, end, next;
  };
  std::string_view text_;
  std::vector<Line> lines_;
};

// Spaces and tabs skipped from POS (never past the end of the line).
size_t skip_blanks(std::string_view s, size_t pos);
// Also newlines and comments (inside a flow collection).
size_t skip_flow_space(std::string_view s, size_t pos);

// One past the end of the node whose text starts at POS: node properties
// (&anchor, !tag) then an alias, a quoted or plain scalar, or a flow
// collection ({...} or [...], which may span lines). FLOW: the node is inside
// a flow collection, so a plain scalar also ends at , ] }. Returns npos when
// the node is not written on one line (a multi-line scalar) or is unclosed.
size_t node_end(std::string_view s, size_t pos, bool flow);

// One past a key token (quoted or plain) that starts at POS, or npos.
size_t key_end(std::string_view s, size_t pos, bool flow);

// After the key that starts at POS: where its value's text starts (past ":"
// and blanks; may be a '#' comment or the line's end when the value is on
// the following lines or empty), or npos when no ':' follows the key.
size_t value_start(std::string_view s, size_t key_pos, bool flow);

// Past node properties (&anchor, !tag) and blanks from POS.
size_t skip_properties(std::string_view s, size_t pos);

// The '#' of a comment in [pos, end of line) where only blanks come before
// it, or npos.
size_t comment_at(std::string_view s, size_t pos);

// Every comment ("# ...", to the line's end) in [from, to), outside quotes.
struct Comment {
  size_t pos;        // of the '#'
  std::string text;  // from '#' to the line's end
};
std::vector<Comment> comments_in(std::string_view s, size_t from, size_t to);

// A scalar as YAML text: as is when it reads back the same as a plain
// scalar in either context, else double-quoted.
std::string scalar_text(const std::string& value);

}  // namespace xb::migrate
