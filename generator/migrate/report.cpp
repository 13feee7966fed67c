#include "migrate/report.h"

#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "util/error.h"

namespace xb::migrate {

namespace {

// TEXT read once as a descriptor: its agent's figures, and SERVICE (when
// given) set to service.name.
AgentFigures figures_of(const std::string& text, const std::string& file, std::string* service = nullptr) {
  AgentFigures f;
  try {
    Descriptor desc = agents::parse_descriptor(text, file);
    if (service) *service = desc.service.name;
    const agents::Agent& agent = agents::agent_for(desc);
    f.kind = std::string(agent.kind());
    f.version = agent_basics(desc).version;
    f.memory_mib = agent.memory_mib(desc);
    f.flush_grace_ms = agent_basics(desc).flush_grace.count();
    f.min_flush_ms = agent.min_flush_grace(desc).count();
  } catch (const Error& e) {
    f.problem = e.diagnostics().empty() ? e.what() : e.diagnostics().front().str();
  }
  return f;
}

// Text for a Markdown table cell or list item: no cell breaks, no markup.
std::string md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\')
      out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string agent_text(const AgentFigures& a) {
  if (!a.problem.empty()) return "?";
  return a.kind + " " + a.version;
}

std::string mib(const std::optional<int>& m) { return m ? std::to_string(*m) + " MiB" : "?"; }

std::string duration(const std::optional<long long>& ms) {
  return ms ? format_duration(Millis(*ms)) : "?";
}

bool flush_short(const AgentFigures& a) { return a.flush_grace_ms && a.min_flush_ms && *a.flush_grace_ms < *a.min_flush_ms; }

size_t count(const ServiceReport& s, Note::Kind k) {
  size_t n = 0;
  for (const auto& note : s.notes) n += note.kind == k;
  return n;
}

std::string where(const Note& n) {
  return n.line ? " (line " + std::to_string(n.line) + ", column " + std::to_string(n.column) + ")" : "";
}

nlohmann::ordered_json figures_json(const AgentFigures& a) {
  nlohmann::ordered_json j;
  j["kind"] = a.kind;
  j["version"] = a.version;
  j["memory_mib"] = a.memory_mib ? nlohmann::ordered_json(*a.memory_mib) : nlohmann::ordered_json();
  j["flush_grace_ms"] = a.flush_grace_ms ? nlohmann::ordered_json(*a.flush_grace_ms) : nlohmann::ordered_json();
  j["min_flush_grace_ms"] = a.min_flush_ms ? nlohmann::ordered_json(*a.min_flush_ms) : nlohmann::ordered_json();
  if (!a.problem.empty()) j["problem"] = a.problem;
  return j;
}

}  // namespace

const char* note_kind_name(Note::Kind k) {
  switch (k) {
    case Note::Kind::translated: return "translated";
    case Note::Kind::dropped: return "dropped";
    case Note::Kind::not_translated: return "not-translated";
  }
  return "";
}

nlohmann::ordered_json note_json(const Note& n) {
  nlohmann::ordered_json o{{"kind", note_kind_name(n.kind)}, {"from", n.from}};
  if (!n.to.empty()) o["to"] = n.to;
  if (!n.why.empty()) o["why"] = n.why;
  o["line"] = n.line;
  o["column"] = n.column;
  return o;
}

ServiceReport report_for(const std::string& file, const FileMigration& m) {
  ServiceReport r;
  r.file = file;
  r.outcome = m.outcome;
  r.changed = m.changed();
  r.before = figures_of(m.before, file, &r.service);
  r.after = m.changed() ? figures_of(m.after, file) : r.before;
  r.notes = m.notes;
  if (r.changed && r.before.kind != r.after.kind) r.losses = otel_path_losses();
  return r;
}

std::string report_markdown(const std::vector<ServiceReport>& services, const Options& o) {
  size_t migrated = 0, already = 0;
  for (const auto& s : services) {
    migrated += s.changed;
    already += s.outcome == Outcome::already_agent;
  }
  std::string out = "# Migration to " + o.to + " " + o.version + "\n\n";
  out += std::to_string(services.size()) + " service" + (services.size() == 1 ? "" : "s") + ": " +
         std::to_string(migrated) + " moved off the X-Ray daemon, " + std::to_string(already) +
         " already on an agent: section.\n\n";
  out += "| Service | File | Agent before | Agent after | Memory before | Memory after | flush_grace | Needs | "
         "Not carried over |\n";
  out += "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : services) {
    out += "| " + md(s.service.empty() ? "?" : s.service) + " | " + md(s.file) + " | " + md(agent_text(s.before)) +
           " | " + md(agent_text(s.after)) + " | " + mib(s.before.memory_mib) + " | " + mib(s.after.memory_mib) + " | " +
           duration(s.after.flush_grace_ms) + " | " + duration(s.after.min_flush_ms) + (flush_short(s.after) ? " (raise it)" : "") +
           " | " + std::to_string(count(s, Note::Kind::dropped) + count(s, Note::Kind::not_translated)) + " |\n";
  }
  for (const auto& s : services) {
    out += "\n## " + md(s.service.empty() ? s.file : s.service) + "\n\n";
    out += "- File: " + md(s.file) + "\n";
    if (!s.changed) {
      out += "- Unchanged: " +
             std::string(s.outcome == Outcome::already_agent ? "it already has an agent: section (" + md(agent_text(s.before)) + ")"
                                                             : "nothing to rewrite") +
             ".\n";
      continue;
    }
    out += "- Agent: " + md(agent_text(s.before)) + " → " + md(agent_text(s.after)) + "\n";
    for (const auto* side : {&s.before, &s.after})
      if (!side->problem.empty()) out += "- Could not read it back: " + md(side->problem) + "\n";
    if (s.before.memory_mib && s.after.memory_mib) {
      int d = *s.after.memory_mib - *s.before.memory_mib;
      out += "- Memory the agent is held to: " + mib(s.before.memory_mib) + " → " + mib(s.after.memory_mib) + " (" +
             (d >= 0 ? "+" : "") + std::to_string(d) +
             " MiB; agent.buffer_mb sets the buffer part, and the ECS fragment's memoryReservation says it).\n";
    }
    if (s.after.flush_grace_ms && s.after.min_flush_ms)
      out += "- Flush budget: " + std::string(flush_short(s.after) ? "**too short**: " : "") + "flush_grace " +
             duration(s.after.flush_grace_ms) + ", " + md(s.after.kind) + " needs at least " +
             duration(s.after.min_flush_ms) + " (one batch timeout and one export request)" +
             (flush_short(s.after) ? ": raise agent.flush_grace, and stop_timeout with it" : "") + ".\n";
    out += "- Settings:\n";
    if (s.notes.empty()) out += "  - none to translate (the daemon's defaults)\n";
    for (const auto& n : s.notes) {
      out += "  - " + std::string(note_kind_name(n.kind)) + ": " + md(n.from);
      if (n.kind == Note::Kind::translated) out += " → " + md(n.to);
      else if (!n.why.empty()) out += ": " + md(n.why);
      out += md(where(n)) + "\n";
    }
    if (!s.losses.empty()) {
      out += "- Lost on the way to X-Ray through the collector path:\n";
      for (const auto& l : s.losses) out += "  - " + md(l) + "\n";
    }
  }
  return out;
}

nlohmann::ordered_json report_json(const std::vector<ServiceReport>& services, const Options& o) {
  nlohmann::ordered_json j;
  j["to"] = o.to;
  j["version"] = o.version;
  j["services"] = nlohmann::ordered_json::array();
  for (const auto& s : services) {
    nlohmann::ordered_json e;
    e["file"] = s.file;
    e["service"] = s.service;
    e["outcome"] = s.outcome == Outcome::migrated ? "migrated" : "already-agent";
    e["changed"] = s.changed;
    e["before"] = figures_json(s.before);
    e["after"] = figures_json(s.after);
    e["flush_grace_too_short"] = flush_short(s.after);
    e["settings"] = nlohmann::ordered_json::array();
    for (const auto& n : s.notes) e["settings"].push_back(note_json(n));
    e["lost_on_the_way"] = s.losses;
    j["services"].push_back(e);
  }
  return j;
}

}  // namespace xb::migrate
