// Reading xraybake.yaml: YAML with positions (yaml-cpp), every key checked,
// every problem reported at once.
#include "descriptor/descriptor.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "descriptor/sections.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kTopKeys{"apiVersion", "service", "xray", "agent", "ecs"};

namespace {


// flush_grace must leave the app kMinAppStop of stop_timeout.
void check_stop_budget(Problems& p, const Descriptor& d, const MapFields& top) {
  const AgentBasics& agent = agent_basics(d);
  const std::string section = agent_section(d);
  Millis room = d.service.stop_timeout - agent.flush_grace;
  if (room >= kMinAppStop) return;
  Millis over = kMinAppStop - room;
  // The value as written, if any; nullopt when absent.
  auto written = [&](const std::string& in, const char* key) -> std::optional<YAML::Node> {
    auto f = top.get(in);
    if (!f || !f->value.IsMap()) return std::nullopt;
    YAML::Node v = f->value[key];
    if (!v.IsDefined()) return std::nullopt;
    return v;
  };
  auto grace = written(section, "flush_grace");
  auto stop = written("service", "stop_timeout");
  // A value that was not a duration is already reported; its default means nothing here.
  for (const auto& v : {grace, stop})
    if (v && !(v->IsScalar() && parse_duration(v->Scalar()))) return;
  // Point at flush_grace when it was written, else at stop_timeout.
  YAML::Mark at = grace ? grace->Mark() : stop ? stop->Mark() : YAML::Mark();
  p.add(at, section + ".flush_grace (" + format_duration(agent.flush_grace) + ") does not fit in service.stop_timeout (" +
                format_duration(d.service.stop_timeout) + ") with " + format_duration(kMinAppStop) +
                " left for the app to stop: " + format_duration(over) + " too long; lower flush_grace to " +
                format_duration(std::max(Millis(0), d.service.stop_timeout - kMinAppStop)) + " or raise stop_timeout to " +
                format_duration(agent.flush_grace + kMinAppStop));
}

// The position of the first byte of TEXT that is not UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or npos.
size_t first_non_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > n) return i;
    for (size_t k = 1; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    if (len == 2 && c < 0xC2) return i;                                     // overlong
    if (len == 3 && c == 0xE0 && s[i + 1] < 0xA0) return i;                 // overlong
    if (len == 3 && c == 0xED && s[i + 1] >= 0xA0) return i;                // surrogate
    if (len == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || c > 0xF4 || (c == 0xF4 && s[i + 1] >= 0x90))) return i;
    i += len;
  }
  return std::string_view::npos;
}

// The first code point of S that a value may not hold once YAML has decoded
// its escapes ("\0", "\x01", "\u2028"): C0 and C1 controls, DEL, U+2028
// and U+2029 (line breaks to YAML and JavaScript). Returns it as "U+XXXX", or
// "not UTF-8" for an escape that decoded to a lone surrogate; empty when clean.
std::string bad_code_point(std::string_view s) {
  if (first_non_utf8(s) != std::string_view::npos) return "a byte sequence that is not UTF-8";
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t cp = u[i];
    if (u[i] == 0xC2 && i + 1 < s.size()) cp = u[i + 1];  // U+0080..U+00BF
    else if (u[i] == 0xE2 && i + 2 < s.size() && u[i + 1] == 0x80) cp = 0x2000 | (u[i + 2] - 0x80);
    else if (u[i] >= 0x80) continue;
    bool bad = cp < 0x20 || cp == 0x7F || (u[i] == 0xC2 && cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
    if (!bad) continue;
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", cp);
    return std::string(hex) + (cp == 0 ? " (NUL)" : cp == '\t' ? " (tab)" : cp == '\n' ? " (newline)" : "");
  }
  return "";
}

// Every key and value of the descriptor, after YAML decoding: a value is data
// for a Dockerfile, init.conf, JSON and shell, none of which may be handed a
// control character. Checked here once, so no reader can forget it.
void check_scalars(Problems& p, const YAML::Node& root) {
  std::vector<std::pair<YAML::Node, std::string>> todo{{root, ""}};
  while (!todo.empty()) {
    auto [node, path] = todo.back();
    todo.pop_back();
    auto check = [&](const YAML::Node& n, const std::string& where, const char* what) {
      if (!n.IsScalar()) return;
      if (auto bad = bad_code_point(n.Scalar()); !bad.empty())
        p.add(n.Mark(), (where.empty() ? std::string("a ") : where + ": the ") + what + " holds " + bad +
                            "; descriptor values are single-line text: remove the escape");
    };
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        check(it->first, path, "key");
        std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
        std::string child = path.empty() ? key : path + "." + key;
        check(it->second, child, "value");
        if (it->second.IsMap() || it->second.IsSequence()) todo.emplace_back(it->second, child);
      }
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        std::string child = path + "[" + std::to_string(i) + "]";
        check(node[i], child, "value");
        if (node[i].IsMap() || node[i].IsSequence()) todo.emplace_back(node[i], child);
      }
    }
  }
}

YAML::Mark mark_at(std::string_view text, size_t pos) {
  YAML::Mark m;
  m.pos = static_cast<int>(pos);
  m.line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
  size_t line_start = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  m.column = static_cast<int>(line_start == std::string_view::npos || pos == 0 ? pos : pos - line_start - 1);
  return m;
}

}  // namespace

std::string agent_kind(const Descriptor& desc) { return desc.agent ? desc.agent->kind : "xray-daemon"; }
std::string agent_section(const Descriptor& desc) { return desc.agent ? "agent" : "xray"; }
const AgentBasics& agent_basics(const Descriptor& desc) {
  if (desc.agent) return *desc.agent;
  return desc.xray;
}

Descriptor parse_descriptor(std::string_view yaml, const std::string& path, const DescriptorCheck& check) {
  Problems p(path);
  Descriptor d;
  d.path = path;
  auto parent = std::filesystem::path(path).parent_path();
  d.dir = std::filesystem::absolute(parent.empty() ? "." : parent).lexically_normal().string();
  if (d.dir.size() > 1 && d.dir.back() == '/') d.dir.pop_back();
  // Every string of the descriptor ends up in JSON (image config, ECS task
  // definition), which is UTF-8 only: refuse other bytes here, with a position.
  if (size_t bad = first_non_utf8(yaml); bad != std::string_view::npos) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(yaml[bad]));
    p.add(mark_at(yaml, bad), std::string("not UTF-8 text (byte ") + hex + "): save the descriptor as UTF-8");
    p.raise_if_any();
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    p.add(e.mark, "YAML syntax error: " + e.msg);
    p.raise_if_any();
  }
  if (!root.IsDefined() || root.IsNull()) {
    p.add(YAML::Mark(), "empty descriptor: expected apiVersion, service and xray (xraybake init writes a starter)");
    p.raise_if_any();
  }
  if (!root.IsMap()) {
    p.add(root.Mark(), "expected a mapping with apiVersion, service and xray, got " + kind_of(root));
    p.raise_if_any();
  }
  check_scalars(p, root);
  p.raise_if_any();
  MapFields top(p, Field{"", YAML::Node(), root}, kTopKeys);
  if (auto v = top.get("apiVersion")) {
    if (auto s = read_string(p, *v); s && *s != "xraybake/v1")
      p.add(v->mark(), "apiVersion: unsupported " + v->quoted() + " (this xraybake reads xraybake/v1)");
  } else {
    p.add(root.Mark(), "missing apiVersion: xraybake/v1");
  }
  if (auto v = top.get("service"))
    read_service(p, *v, d, d.service);
  else
    p.add(root.Mark(), "missing service (with at least name and base)");
  auto xray = top.get("xray");
  auto agent = top.get("agent");
  if (xray && agent) {
    p.add(agent->key.Mark(), "agent and xray: a descriptor has one of them, not both (xray: is the X-Ray daemon's "
                             "section; `xraybake migrate --to adot-collector` turns it into agent:)");
  } else if (agent) {
    d.agent.emplace();
    d.agent_mark = agent->key.Mark();
    read_agent(p, *agent, d, *d.agent);
  } else {
    if (xray) d.agent_mark = xray->key.Mark();
    read_xray(p, xray ? *xray : Field{"xray", YAML::Node(), YAML::Node()}, d, d.xray);
  }
  check_stop_budget(p, d, top);
  auto ecs = top.get("ecs");
  read_ecs(p, ecs ? &*ecs : nullptr, d, d.ecs);
  if (check) check(p, d);
  p.raise_if_any();
  d.warnings = p.warnings();
  return d;
}

Descriptor load_descriptor(const std::string& path, const DescriptorCheck& check) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(ExitCode::bad_input, path + ": no such file",
                "give the descriptor's path, or run xraybake init to write a starter xraybake.yaml");
  return parse_descriptor(read_file(path), path, check);
}

}  // namespace xb
