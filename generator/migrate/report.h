// The migration report of `xraybake migrate --report FILE`: per service the
// agent before and after, each setting translated or not, what the X-Ray to
// OpenTelemetry path drops, the memory the new agent is held to against the
// old one, and the flush budget it needs against the flush_grace it has.
// Markdown for people, JSON (the same fields) for fleet tooling.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "migrate/migrate.h"

namespace xb::migrate {

// One agent as a descriptor configures it; figures empty when the descriptor
// could not be read (`problem` says why).
struct AgentFigures {
  std::string kind;
  std::string version;
  std::optional<int> memory_mib;            // what the agent is held to (agents::Agent::memory_mib)
  std::optional<long long> flush_grace_ms;  // agent.flush_grace / xray.flush_grace
  std::optional<long long> min_flush_ms;    // the least flush_grace the agent needs
  std::string problem;
};

struct ServiceReport {
  std::string file;
  std::string service;  // service.name
  Outcome outcome = Outcome::migrated;
  bool changed = false;
  AgentFigures before, after;
  std::vector<Note> notes;
  std::vector<std::string> losses;  // what the collector path drops; empty when the agent did not change
};

// FILE's migration M read back as descriptors on both sides.
ServiceReport report_for(const std::string& file, const FileMigration& m);

// OPTIONS as resolve_options returned them (the version filled in).
std::string report_markdown(const std::vector<ServiceReport>& services, const Options& options);
nlohmann::ordered_json report_json(const std::vector<ServiceReport>& services, const Options& options);

// "translated", "dropped", "not-translated".
const char* note_kind_name(Note::Kind k);
// {kind, from, to, why, line, column}: a note in --json and in the JSON report.
nlohmann::ordered_json note_json(const Note& n);

}  // namespace xb::migrate
