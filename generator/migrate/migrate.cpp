#include "migrate/migrate.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>

#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "migrate/daemon_settings.h"
#include "migrate/yaml_text.h"
#include "util/error.h"
#include "util/strings.h"

namespace xb::migrate {

namespace {

// One key: value of a mapping, located in the text.
struct Entry {
  std::string name;
  YAML::Node key, value;
  size_t key_pos = npos;
  size_t after_colon = npos;  // the first non-blank after the key's ':'
  size_t value_pos = npos;    // the value's text when written after the key (npos: below it, or none)
  size_t value_end = npos;    // one past it; npos when not written on one line
  // Block mappings: the key's line, the entry's last content line, the line before the next key.
  size_t first = 0, last = 0, span_last = 0;
};

// A piece of the agent section, in the order of the original.
struct Piece {
  enum class Kind { setting, kept, comment, raw };
  Kind kind = Kind::setting;
  std::string key;
  std::string value;            // setting: the value's YAML text, one line; empty for none
  std::vector<Piece> children;  // setting: nested settings on the lines below (receivers)
  std::string comment;          // setting: its trailing comment; comment: the text
  size_t comment_col = npos;    // setting: the comment's column in the original
  size_t first = 0, last = 0;   // kept: source lines (block); raw: the line
  size_t shift = 0;             // raw: leading spaces to remove (a level that was flattened)
  YAML::Node expected;          // setting, kept: what its value must read back as
  int priority = 1;             // setting: 2 from xray.args (the daemon's flags override its cfg.yaml)
  std::string from;             // setting, kept: the daemon's setting, for the notes
  YAML::Mark mark;
};

Piece comment_piece(std::string text) {
  Piece p;
  p.kind = Piece::Kind::comment;
  p.comment = std::move(text);
  return p;
}

bool same_node(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same_node(a[i], b[i])) return false;
      return true;
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      auto ia = a.begin(), ib = b.begin();
      for (; ia != a.end(); ++ia, ++ib)
        if (!same_node(ia->first, ib->first) || !same_node(ia->second, ib->second)) return false;
      return true;
    }
    default:
      return true;
  }
}

// A value on one line, for notes and for values migrate writes itself.
std::string flow_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "";
  if (node.IsScalar()) return scalar_text(node.Scalar());
  YAML::Emitter em;
  em.SetMapFormat(YAML::Flow);
  em.SetSeqFormat(YAML::Flow);
  em << node;
  return em.c_str();
}

std::string spaces(size_t n) { return std::string(n, ' '); }

// LINE with COMMENT after it, at COLUMN when that still fits.
std::string with_comment(std::string line, const std::string& comment, size_t column) {
  if (comment.empty()) return line;
  if (column != npos && column > line.size())
    line += spaces(column - line.size());
  else
    line += " ";
  return line + comment;
}

class Rewriter {
 public:
  Rewriter(std::string_view text, const std::string& path, const Options& options)
      : text_(text), s_(text), path_(path), options_(options) {}

  FileMigration run();

 private:
  [[noreturn]] void fail_at(const YAML::Mark& mark, const std::string& message) const {
    Diagnostic d;
    d.file = path_;
    d.line = mark.line >= 0 ? mark.line + 1 : 1;
    d.column = mark.column >= 0 ? mark.column + 1 : 1;
    d.message = message;
    throw Error(ExitCode::bad_input, std::vector<Diagnostic>{d});
  }
  [[noreturn]] void cannot_rewrite(const std::string& why) const {
    fail_at(xray_mark_, "could not rewrite xray: into agent: faithfully (" + why +
                            "); migrate this file by hand (see docs/migration.md)");
  }

  void note(Note::Kind kind, std::string from, std::string to_or_why, const YAML::Mark& mark) {
    Note n;
    n.kind = kind;
    n.from = std::move(from);
    (kind == Note::Kind::translated ? n.to : n.why) = std::move(to_or_why);
    n.line = mark.line >= 0 ? mark.line + 1 : 0;
    n.column = mark.column >= 0 ? mark.column + 1 : 0;
    notes_.push_back(std::move(n));
  }

  // The entries of MAP in the order of the text.
  std::vector<Entry> sorted_entries(const YAML::Node& map) const;
  std::vector<Entry> block_entries(const YAML::Node& map, size_t range_last) const;
  std::vector<Entry> flow_entries(const YAML::Node& map) const;
  std::string value_text(const Entry& e, bool flow) const;
  std::vector<Comment> entry_comments(const Entry& e) const {
    return comments_in(s_, text_.begin(e.first), text_.end(e.last));
  }
  void comments_to_pieces(const Entry& e, bool flow, std::vector<Piece>& out) const {
    if (flow) return;  // a flow xray: has its comments moved above it
    for (auto& c : entry_comments(e)) out.push_back(comment_piece(c.text));
  }
  std::string describe(const std::string& key, const YAML::Node& value) const {
    std::string v = flow_text(value);
    if (v.size() > 60) v = v.substr(0, 57) + "...";
    return v.empty() ? key : key + " " + v;
  }

  void xray_entry(const Entry& e, bool flow, std::vector<Piece>& out);
  void config_entry(const Entry& e, bool flow, std::vector<Piece>& out);
  void config_child(const Entry& c, bool flow, std::vector<Piece>& out);
  void socket_entry(const Entry& c, bool flow, std::vector<Piece>& out);
  void args_entry(const Entry& e, bool flow, std::vector<Piece>& out);
  // The children of a block mapping value of E, with the lines between them as raw pieces.
  template <typename Each>
  void walk_block(const Entry& e, size_t shift, Each each, std::vector<Piece>& out);

  void resolve_conflicts(std::vector<Piece>& pieces);
  void check_tcp(const std::vector<Piece>& pieces);
  YAML::Node expected_agent(const std::vector<Piece>& pieces) const;
  std::string block_section(const Entry& xray, const std::vector<Piece>& pieces, size_t child_indent, size_t step) const;
  void layout_block(const Piece& p, size_t indent, size_t step, std::vector<std::string>& lines) const;
  std::string flow_section(const Entry& xray, const std::vector<Piece>& pieces) const;
  std::string append_agent(const YAML::Node& root, const std::vector<Entry>& top, size_t step) const;
  std::string agent_key_token(const Entry& xray) const;
  size_t detect_step(const std::vector<Entry>& top) const;
  void verify(const YAML::Node& root, const std::string& after, const YAML::Node& expected) const;

  const Text text_;
  std::string_view s_;
  std::string path_;
  Options options_;
  YAML::Mark xray_mark_;
  size_t child_indent_ = 2;
  std::vector<Note> notes_;
  struct Tcp {
    std::string value, from;
    YAML::Mark mark;
  };
  std::vector<Tcp> tcp_;
};

std::vector<Entry> Rewriter::sorted_entries(const YAML::Node& map) const {
  std::vector<Entry> out;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Entry e;
    e.key = it->first;
    e.value = it->second;
    e.name = e.key.IsScalar() ? e.key.Scalar() : "";
    e.key_pos = e.key.Mark().pos >= 0 ? static_cast<size_t>(e.key.Mark().pos) : npos;
    if (e.key_pos == npos || e.key_pos >= s_.size()) cannot_rewrite("a key without a position");
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.key_pos < b.key_pos; });
  return out;
}

std::vector<Entry> Rewriter::block_entries(const YAML::Node& map, size_t range_last) const {
  std::vector<Entry> out = sorted_entries(map);
  for (size_t i = 0; i < out.size(); ++i) {
    Entry& e = out[i];
    e.first = text_.line_of(e.key_pos);
    e.span_last = i + 1 < out.size() ? text_.line_of(out[i + 1].key_pos) - 1 : range_last;
    for (size_t l = e.first + 1; l <= e.span_last; ++l)
      if (text_.document_marker(l)) {
        e.span_last = l - 1;
        break;
      }
    e.last = e.span_last;
    while (e.last > e.first && !text_.content(e.last)) --e.last;
    e.after_colon = value_start(s_, e.key_pos, false);
    if (e.after_colon == npos) cannot_rewrite("no ':' after the key " + e.name);
    size_t p = skip_properties(s_, e.after_colon);
    if (p < text_.end(e.first) && s_[p] != '#') {
      e.value_pos = e.after_colon;
      e.value_end = node_end(s_, e.after_colon, false);
    }
  }
  return out;
}

std::vector<Entry> Rewriter::flow_entries(const YAML::Node& map) const {
  std::vector<Entry> out = sorted_entries(map);
  for (Entry& e : out) {
    e.after_colon = value_start(s_, e.key_pos, true);
    if (e.after_colon != npos) {
      e.value_pos = e.after_colon;
      e.value_end = node_end(s_, e.after_colon, true);
    }
    e.first = e.last = e.span_last = text_.line_of(e.key_pos);
  }
  return out;
}

std::string Rewriter::value_text(const Entry& e, bool flow) const {
  if (e.value_pos != npos && e.value_end != npos && e.value_end > e.value_pos) {
    std::string_view t = s_.substr(e.value_pos, e.value_end - e.value_pos);
    bool one_line = t.find_first_of("\r\n") == npos;
    bool alias = skip_properties(t, 0) < t.size() && t[skip_properties(t, 0)] == '*';
    if (one_line && !alias && (flow || e.last == e.first)) return std::string(t);
  }
  return flow_text(e.value);
}

template <typename Each>
void Rewriter::walk_block(const Entry& e, size_t shift, Each each, std::vector<Piece>& out) {
  auto children = block_entries(e.value, e.last);
  size_t line = e.first + 1;
  for (const auto& c : children) {
    if (c.first <= e.first || c.first > e.last) cannot_rewrite("a key outside its mapping");
    for (; line < c.first; ++line) {
      Piece raw;
      raw.kind = Piece::Kind::raw;
      raw.first = line;
      raw.shift = shift;
      out.push_back(raw);
    }
    each(c);
    line = c.last + 1;
  }
}

void Rewriter::xray_entry(const Entry& e, bool flow, std::vector<Piece>& out) {
  Rule rule = xray_rule(e.name, target_words(options_.to));
  std::string from = "xray." + e.name;
  switch (rule.fate) {
    case Fate::keep: {
      Piece p;
      p.kind = flow ? Piece::Kind::setting : Piece::Kind::kept;
      p.key = e.name;
      p.value = value_text(e, flow);
      p.first = e.first;
      p.last = e.last;
      p.expected = e.value;
      p.from = from;
      p.mark = e.key.Mark();
      out.push_back(p);
      return;
    }
    case Fate::config:
      config_entry(e, flow, out);
      return;
    case Fate::args:
      args_entry(e, flow, out);
      return;
    case Fate::drop:
      note(Note::Kind::dropped, describe(from, e.value), rule.why, e.key.Mark());
      break;
    default:
      note(Note::Kind::not_translated, describe(from, e.value), rule.why, e.key.Mark());
      break;
  }
  comments_to_pieces(e, flow, out);
}

void Rewriter::config_entry(const Entry& e, bool flow, std::vector<Piece>& out) {
  if (!e.value.IsMap()) {
    if (!e.value.IsNull()) note(Note::Kind::not_translated, describe("xray.config", e.value), "not a mapping", e.key.Mark());
    comments_to_pieces(e, flow, out);
    return;
  }
  if (flow || e.value_pos != npos) {
    // {Region: ..., LocalMode: ...}: each key on its own line below agent:.
    if (!flow)
      for (auto& c : entry_comments(e)) out.push_back(comment_piece(c.text));
    for (const auto& c : flow_entries(e.value)) config_child(c, true, out);
    return;
  }
  if (size_t c = comment_at(s_, skip_properties(s_, e.after_colon)); c != npos && c < text_.end(e.first))
    out.push_back(comment_piece(std::string(s_.substr(c, text_.end(e.first) - c))));
  if (e.value.size() == 0) return;
  size_t col = static_cast<size_t>(std::max(0, e.value.begin()->first.Mark().column));
  size_t shift = col > child_indent_ ? col - child_indent_ : 0;
  walk_block(e, shift, [&](const Entry& c) { config_child(c, false, out); }, out);
}

void Rewriter::config_child(const Entry& c, bool flow, std::vector<Piece>& out) {
  std::string from = "xray.config." + c.name;
  Rule rule = config_rule(c.name, target_words(options_.to));
  if (rule.fate == Fate::rename) {
    Piece p;
    p.key = rule.agent_key;
    p.value = value_text(c, flow);
    p.expected = c.value;
    p.from = from;
    p.mark = c.key.Mark();
    std::vector<Piece> after;
    if (!flow) {
      for (auto& cm : entry_comments(c)) {
        if (cm.pos < text_.end(c.first) && p.comment.empty()) {
          p.comment = cm.text;
          p.comment_col = cm.pos - text_.begin(c.first);
        } else {
          after.push_back(comment_piece(cm.text));
        }
      }
    }
    out.push_back(p);
    out.insert(out.end(), after.begin(), after.end());
    return;
  }
  if (rule.fate == Fate::socket) {
    socket_entry(c, flow, out);
    return;
  }
  if (c.name == "Logging" && c.value.IsMap() && c.value.size() > 0) {
    for (auto it = c.value.begin(); it != c.value.end(); ++it) {
      std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
      Rule r = config_rule("Logging." + name, target_words(options_.to));
      note(Note::Kind::not_translated, describe(from + "." + name, it->second), r.why, it->first.Mark());
    }
  } else {
    note(rule.fate == Fate::drop ? Note::Kind::dropped : Note::Kind::not_translated, describe(from, c.value), rule.why,
         c.key.Mark());
  }
  comments_to_pieces(c, flow, out);
}

void Rewriter::socket_entry(const Entry& c, bool flow, std::vector<Piece>& out) {
  const std::string from = "xray.config.Socket";
  std::vector<Entry> children;
  if (c.value.IsMap()) children = flow || c.value_pos != npos ? flow_entries(c.value) : block_entries(c.value, c.last);
  else if (!c.value.IsNull()) note(Note::Kind::not_translated, describe(from, c.value), "not a mapping", c.key.Mark());
  std::optional<Entry> udp;
  for (const auto& s : children) {
    if (s.name == "UDPAddress")
      udp = s;
    else if (s.name == "TCPAddress")
      tcp_.push_back({s.value.IsScalar() ? s.value.Scalar() : flow_text(s.value), from + ".TCPAddress", s.key.Mark()});
    else
      note(Note::Kind::not_translated, describe(from + "." + s.name, s.value), "not a key of the daemon's Socket", s.key.Mark());
  }
  Piece receivers;
  receivers.key = "receivers";
  receivers.from = from + ".UDPAddress";
  std::vector<Piece> comments, after;  // before and after the receivers
  if (udp) {
    Piece x;
    x.key = "xray";
    x.value = value_text(*udp, flow || c.value_pos != npos);
    x.expected = udp->value;
    x.from = from + ".UDPAddress";
    x.mark = udp->key.Mark();
    receivers.mark = x.mark;
    receivers.children.push_back(x);
    receivers.expected = YAML::Node(YAML::NodeType::Map);
    receivers.expected["xray"] = udp->value;
  }
  if (!flow) {
    for (auto& cm : entry_comments(c)) {
      size_t line = text_.line_of(cm.pos);
      if (udp && line == c.first && receivers.comment.empty()) {
        receivers.comment = cm.text;
        receivers.comment_col = cm.pos - text_.begin(line);
      } else if (udp && line == udp->first && c.value_pos == npos && receivers.children[0].comment.empty()) {
        receivers.children[0].comment = cm.text;
        receivers.children[0].comment_col = cm.pos - text_.begin(line);
      } else {
        (udp && cm.pos > udp->key_pos ? after : comments).push_back(comment_piece(cm.text));
      }
    }
  }
  out.insert(out.end(), comments.begin(), comments.end());
  if (udp) out.push_back(receivers);
  out.insert(out.end(), after.begin(), after.end());
}

void Rewriter::args_entry(const Entry& e, bool flow, std::vector<Piece>& out) {
  comments_to_pieces(e, flow, out);
  if (e.value.IsNull()) return;
  std::vector<std::string> args;
  bool ok = e.value.IsSequence();
  if (ok)
    for (const auto& a : e.value) {
      if (!a.IsScalar()) ok = false;
      else args.push_back(a.Scalar());
    }
  if (!ok) {
    note(Note::Kind::not_translated, describe("xray.args", e.value), "not a list of flags", e.key.Mark());
    return;
  }
  for (const auto& f : read_daemon_flags(args, target_words(options_.to))) {
    YAML::Mark mark = e.value[f.index].Mark();
    std::string from = "xray.args[" + std::to_string(f.index) + "] " + f.text;
    if (f.agent_key.empty()) {
      note(Note::Kind::not_translated, from, f.why, mark);
      continue;
    }
    if (f.agent_key == "tcp") {
      tcp_.push_back({YAML::Load(f.value).Scalar(), from, mark});
      continue;
    }
    Piece p;
    p.priority = 2;
    p.from = from;
    p.mark = mark;
    if (f.agent_key == "receivers.xray") {
      Piece x;
      x.key = "xray";
      x.value = f.value;
      x.expected = YAML::Load(f.value);
      x.from = from;
      x.mark = mark;
      p.key = "receivers";
      p.children.push_back(x);
      p.expected = YAML::Node(YAML::NodeType::Map);
      p.expected["xray"] = x.expected;
    } else {
      p.key = f.agent_key;
      p.value = f.value;
      p.expected = YAML::Load(f.value);
    }
    out.push_back(p);
  }
}

void Rewriter::resolve_conflicts(std::vector<Piece>& pieces) {
  std::map<std::string, size_t> winner;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    if (p.kind != Piece::Kind::setting && p.kind != Piece::Kind::kept) continue;
    auto it = winner.find(p.key);
    if (it == winner.end() || p.priority >= pieces[it->second].priority) winner[p.key] = i;
  }
  std::vector<Piece> kept;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    bool setting = p.kind == Piece::Kind::setting || p.kind == Piece::Kind::kept;
    if (setting && winner[p.key] != i) {
      const Piece& w = pieces[winner[p.key]];
      note(Note::Kind::dropped, p.from,
           "overridden by " + w.from + (w.priority > p.priority ? " (the daemon's flags win over its cfg.yaml)" : ""),
           p.mark);
      if (!p.comment.empty()) kept.push_back(comment_piece(p.comment));
      continue;
    }
    if (setting) {
      for (const auto& c : p.children)
        note(Note::Kind::translated, c.from, "agent." + p.key + "." + c.key, c.mark);
      if (p.children.empty())
        note(Note::Kind::translated, p.from, "agent." + p.key, p.mark);
    }
    kept.push_back(p);
  }
  pieces = std::move(kept);
}

void Rewriter::check_tcp(const std::vector<Piece>& pieces) {
  std::string udp = "127.0.0.1:2000";  // the daemon's and the receiver's default
  for (const auto& p : pieces)
    if (p.key == "receivers" && !p.children.empty() && p.children[0].expected.IsScalar())
      udp = p.children[0].expected.Scalar();
  for (const auto& t : tcp_) {
    if (t.value == udp)
      note(Note::Kind::translated, t.from, "agent.receivers.xray (its TCP sampling proxy is on the same address)", t.mark);
    else
      note(Note::Kind::not_translated, t.from + " " + t.value,
           "the TCP sampling proxy differs from the UDP address " + udp +
               "; " + std::string(target_words(options_.to).name) + " serves both on receivers.xray, so SDKs that ask " + t.value + " for sampling rules must use " +
               udp,
           t.mark);
  }
}

YAML::Node Rewriter::expected_agent(const std::vector<Piece>& pieces) const {
  YAML::Node agent(YAML::NodeType::Map);
  agent["kind"] = options_.to;
  agent["version"] = options_.version;
  for (const auto& p : pieces)
    if (p.kind == Piece::Kind::setting || p.kind == Piece::Kind::kept) agent[p.key] = p.expected;
  return agent;
}

std::string Rewriter::agent_key_token(const Entry& xray) const {
  char q = s_[xray.key_pos];
  if (q == '"' || q == '\'') return std::string(1, q) + "agent" + q;
  return "agent";
}

void Rewriter::layout_block(const Piece& p, size_t indent, size_t step, std::vector<std::string>& lines) const {
  switch (p.kind) {
    case Piece::Kind::raw: {
      std::string_view b = text_.body(p.first);
      size_t n = 0;
      while (n < p.shift && n < b.size() && b[n] == ' ') ++n;
      lines.emplace_back(b.substr(n));
      return;
    }
    case Piece::Kind::comment:
      lines.push_back(spaces(indent) + p.comment);
      return;
    case Piece::Kind::kept:
      for (size_t l = p.first; l <= p.last; ++l) lines.emplace_back(text_.body(l));
      return;
    case Piece::Kind::setting: {
      std::string line = spaces(indent) + p.key + ":" + (p.value.empty() ? "" : " " + p.value);
      lines.push_back(with_comment(line, p.comment, p.comment_col));
      for (const auto& c : p.children) layout_block(c, indent + step, step, lines);
      return;
    }
  }
}

std::string Rewriter::block_section(const Entry& xray, const std::vector<Piece>& pieces, size_t child_indent,
                                    size_t step) const {
  std::vector<std::string> lines;
  size_t key_col = xray.key_pos - text_.begin(xray.first);
  std::string header = std::string(text_.body(xray.first).substr(0, key_col)) + agent_key_token(xray) + ":";
  size_t from = xray.value_pos != npos && xray.value_end != npos ? xray.value_end : skip_properties(s_, xray.after_colon);
  if (size_t c = comment_at(s_, from); c != npos && c < text_.end(xray.first))
    header = with_comment(header, std::string(s_.substr(c, text_.end(xray.first) - c)), c - text_.begin(xray.first));
  lines.push_back(header);
  lines.push_back(spaces(child_indent) + "kind: " + options_.to);
  lines.push_back(spaces(child_indent) + "version: " + options_.version);
  for (const auto& p : pieces) layout_block(p, child_indent, step, lines);
  std::string eol(text_.eol_style());
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    // Lines are trimmed on the right, as an editor would leave them.
    std::string l = lines[i];
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();
    out += l;
    if (i + 1 < lines.size()) out += eol;
  }
  return out;
}

std::string Rewriter::flow_section(const Entry& xray, const std::vector<Piece>& pieces) const {
  std::string out = agent_key_token(xray) + ": {kind: " + options_.to + ", version: " + options_.version;
  for (const auto& p : pieces) {
    if (p.kind != Piece::Kind::setting) continue;
    out += ", " + p.key + ":";
    if (!p.children.empty()) {
      out += " {";
      for (size_t i = 0; i < p.children.size(); ++i)
        out += (i ? ", " : "") + p.children[i].key + ": " + p.children[i].value;
      out += "}";
    } else if (!p.value.empty()) {
      out += " " + p.value;
    }
  }
  return out + "}";
}

size_t Rewriter::detect_step(const std::vector<Entry>& top) const {
  for (const auto& e : top) {
    if (!e.value.IsMap() || e.value.size() == 0 || e.value.Style() == YAML::EmitterStyle::Flow) continue;
    int col = e.value.begin()->first.Mark().column;
    size_t key_col = e.key_pos - text_.begin(e.first);
    if (col > static_cast<int>(key_col)) return static_cast<size_t>(col) - key_col;
  }
  return 2;
}

std::string Rewriter::append_agent(const YAML::Node& root, const std::vector<Entry>& top, size_t step) const {
  std::string out(s_);
  if (root.Style() == YAML::EmitterStyle::Flow) {
    size_t end = node_end(s_, static_cast<size_t>(root.Mark().pos), false);
    if (end == npos) cannot_rewrite("the end of the top mapping was not found");
    out.insert(end - 1, ", agent: {kind: " + options_.to + ", version: " + options_.version + "}");
    return out;
  }
  const Entry& last = top.back();
  size_t col = last.key_pos - text_.begin(last.first);
  std::string eol(text_.eol_style());
  std::string section = spaces(col) + "agent:" + eol + spaces(col + step) + "kind: " + options_.to + eol +
                        spaces(col + step) + "version: " + options_.version;
  size_t line = last.span_last;
  if (text_.eol(line).empty()) {
    out.insert(text_.end(line), eol + section);
  } else {
    out.insert(text_.end(line) + text_.eol(line).size(), section + eol);
  }
  return out;
}

void Rewriter::verify(const YAML::Node& root, const std::string& after, const YAML::Node& expected) const {
  YAML::Node out;
  try {
    out = YAML::Load(after);
  } catch (const YAML::Exception& e) {
    cannot_rewrite("the result does not read back as YAML: " + e.msg);
  }
  if (!out.IsMap()) cannot_rewrite("the result is not a mapping");
  auto a = root.begin();
  auto b = out.begin();
  bool agent_seen = false;
  for (; b != out.end(); ++b) {
    std::string key = b->first.IsScalar() ? b->first.Scalar() : "";
    if (key == "agent" && !agent_seen) {
      agent_seen = true;
      if (!same_node(b->second, expected))
        cannot_rewrite("agent: reads back as " + flow_text(b->second) + ", not " + flow_text(expected));
      if (a != root.end() && a->first.IsScalar() && a->first.Scalar() == "xray") ++a;
      continue;
    }
    if (a == root.end() || !same_node(a->first, b->first) || !same_node(a->second, b->second))
      cannot_rewrite("the rest of the file reads back differently at " + key);
    ++a;
  }
  if (a != root.end() || !agent_seen) cannot_rewrite("keys went missing");
}

FileMigration Rewriter::run() {
  FileMigration result;
  result.before = std::string(s_);
  YAML::Node root;
  try {
    root = YAML::Load(result.before);
  } catch (const YAML::ParserException& e) {
    fail_at(e.mark, "YAML syntax error: " + e.msg);
  }
  const std::string not_descriptor = "not an xraybake descriptor (expected a mapping with apiVersion: xraybake/v1)";
  if (!root.IsMap()) fail_at(root.Mark(), not_descriptor);
  std::optional<YAML::Node> api, xray_key, agent_key;
  YAML::Node xray, agent;
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string k = it->first.IsScalar() ? it->first.Scalar() : "";
    auto once = [&](std::optional<YAML::Node>& slot) {
      if (slot) fail_at(it->first.Mark(), k + ": given twice (first at line " + std::to_string(slot->Mark().line + 1) + ")");
      slot = it->first;
    };
    if (k == "apiVersion") {
      once(api);
      if (!it->second.IsScalar() || it->second.Scalar() != "xraybake/v1") fail_at(it->second.Mark(), not_descriptor);
    } else if (k == "xray") {
      once(xray_key);
      xray = it->second;
    } else if (k == "agent") {
      once(agent_key);
      agent = it->second;
    }
  }
  if (!api) fail_at(root.Mark(), not_descriptor);
  if (xray_key && agent_key)
    fail_at(agent_key->Mark(), "both xray: (line " + std::to_string(xray_key->Mark().line + 1) +
                                   ") and agent: here; a descriptor has one of the two: remove the one you do not mean");
  if (agent_key) {
    result.outcome = Outcome::already_agent;
    result.after = result.before;
    if (agent.IsMap() && agent["kind"].IsScalar()) result.agent_kind = agent["kind"].Scalar();
    return result;
  }
  bool flow_root = root.Style() == YAML::EmitterStyle::Flow;
  std::vector<Entry> top = flow_root ? flow_entries(root) : block_entries(root, text_.size() - 1);
  size_t step = flow_root ? 2 : detect_step(top);
  std::vector<Piece> pieces;
  if (!xray_key) {
    // No xray: means the daemon with its defaults: it gets an agent: section too.
    xray_mark_ = root.Mark();
    result.after = append_agent(root, top, step);
  } else {
    xray_mark_ = xray_key->Mark();
    if (!xray.IsNull() && !xray.IsMap())
      fail_at(xray.Mark(), "xray: expected a mapping of the daemon's settings, got a " +
                               std::string(xray.IsSequence() ? "list" : "string"));
    const Entry& x = *std::find_if(top.begin(), top.end(), [&](const Entry& e) { return e.name == "xray"; });
    bool flow = flow_root || (xray.IsMap() && xray.Style() == YAML::EmitterStyle::Flow);
    if (flow) {
      auto entries = xray.IsMap() ? flow_entries(xray) : std::vector<Entry>{};
      for (const auto& e : entries) xray_entry(e, true, pieces);
      resolve_conflicts(pieces);
      check_tcp(pieces);
      if (x.value_end == npos) cannot_rewrite("the end of xray: was not found");
      size_t from = x.key_pos, to = x.value_end;
      std::string section = flow_section(x, pieces);
      // A comment after it keeps its column where it still fits.
      size_t line_end = text_.end(text_.line_of(to - 1));
      if (size_t c = comment_at(s_, to); c != npos && c < line_end) {
        size_t col = c - text_.begin(text_.line_of(c));
        size_t start_col = from - text_.begin(x.first);
        section = with_comment(section, std::string(s_.substr(c, line_end - c)), col > start_col ? col - start_col : npos);
        to = line_end;
      }
      std::string out(s_);
      out.replace(from, to - from, section);
      // Comments inside a flow xray: go on lines of their own above it.
      std::string above;
      std::string indent = spaces(text_.indent(x.first));
      for (auto& c : comments_in(s_, x.value_pos == npos ? from : x.value_pos, x.value_end))
        above += indent + c.text + std::string(text_.eol_style());
      out.insert(text_.begin(x.first), above);
      result.after = out;
    } else {
      auto entries = xray.IsMap() ? block_entries(xray, x.last) : std::vector<Entry>{};
      size_t key_col = x.key_pos - text_.begin(x.first);
      child_indent_ = entries.empty() ? key_col + step : static_cast<size_t>(std::max(0, entries[0].key.Mark().column));
      size_t inner_step = child_indent_ > key_col ? child_indent_ - key_col : step;
      if (xray.IsMap()) walk_block(x, 0, [&](const Entry& e) { xray_entry(e, false, pieces); }, pieces);
      resolve_conflicts(pieces);
      check_tcp(pieces);
      std::string out(s_.substr(0, text_.begin(x.first)));
      out += block_section(x, pieces, child_indent_, inner_step);
      out += s_.substr(text_.end(x.last));
      result.after = out;
    }
  }
  std::stable_sort(notes_.begin(), notes_.end(),
                   [](const Note& a, const Note& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
  verify(root, result.after, expected_agent(pieces));
  result.notes = notes_;
  return result;
}

}  // namespace

std::vector<std::string> migration_targets() {
  std::vector<std::string> out;
  for (const auto& k : agents::agent_kinds())
    if (k != "xray-daemon") out.push_back(k);
  return out;
}

Options resolve_options(Options options) {
  const std::string kinds = join(migration_targets(), ", ");
  if (options.to == "xray-daemon")
    throw Error(ExitCode::bad_input, "--to xray-daemon: migrate moves descriptors off the X-Ray daemon, not onto it",
                "use --to with one of: " + kinds);
  const agents::Agent* agent = agents::find_agent(options.to);
  if (!agent) {
    bool announced = std::find(kAgentKinds.begin(), kAgentKinds.end(), options.to) != kAgentKinds.end();
    throw Error(ExitCode::bad_input,
                "--to " + options.to + (announced ? ": not an agent kind this xraybake can build yet" : ": unknown agent kind"),
                "use --to with one of: " + kinds + " (--to adot-collector for the AWS Distro for OpenTelemetry)");
  }
  const std::string example(agent->example_version());
  if (options.version.empty()) options.version = example;
  static const std::regex exact("[0-9]+\\.[0-9]+\\.[0-9]+");
  if (!std::regex_match(options.version, exact))
    throw Error(ExitCode::bad_input, "--agent-version " + options.version + ": not an exact version such as " + example,
                "give the release of " + options.to + " to pin, e.g. --agent-version " + example);
  return options;
}

void check_options(const Options& options) { (void)resolve_options(options); }

FileMigration migrate_text(std::string_view text, const std::string& path, const Options& options) {
  return Rewriter(text, path, resolve_options(options)).run();
}

const std::vector<std::string>& otel_path_losses() {
  static const std::vector<std::string> losses{
      "the aws.cloudwatch_logs of a segment",
      "the origin AWS::ECS::Container",
  };
  return losses;
}

}  // namespace xb::migrate
