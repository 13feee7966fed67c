// xraybake migrate: a descriptor's xray: section rewritten into agent:
// (design.md, "Agents") in the file's own text, so that every comment, blank
// line and the order of the rest of the file stay as they were. yaml-cpp
// only locates nodes and reads values; the edit is made on the text, then
// read back and compared with what it must mean before it is returned.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xb::migrate {

// migrate writes any agent kind of the seam (generator/agents/) but the daemon.
inline constexpr std::string_view kAdotCollector = "adot-collector";

struct Options {
  std::string to{kAdotCollector};
  std::string version;  // the agent's exact version; empty: the one agents.md documents for the kind
};

// OPTIONS checked, with the kind's documented version filled in when none is
// given. Throws xb::Error(bad_input) for a kind that is not an agent kind of
// this xraybake (or is the daemon) or a version that is not exact.
Options resolve_options(Options options);
void check_options(const Options& options);  // resolve_options, result unused

// The kinds --to takes, in the registry's order.
std::vector<std::string> migration_targets();

struct Note {
  enum class Kind { translated, dropped, not_translated };
  Kind kind = Kind::translated;
  std::string from;  // "xray.config.Region", "xray.args[0] --log-level warn"
  std::string to;    // translated: "agent.region"
  std::string why;   // dropped, not translated: why, and what to do instead
  int line = 0;      // 1-based position of the setting in the original file
  int column = 0;
};

enum class Outcome {
  migrated,       // xray: (or no agent section at all, the daemon by default) rewritten
  already_agent,  // has agent: already; left as it is
};

struct FileMigration {
  Outcome outcome = Outcome::migrated;
  std::string before;
  std::string after;
  std::string agent_kind;  // already_agent: agent.kind as written
  std::vector<Note> notes;
  bool changed() const { return before != after; }
};

// Migrates the descriptor TEXT; PATH names it in messages. Throws
// xb::Error(bad_input) with FILE:LINE:COL diagnostics when the text is not
// YAML, not an xraybake descriptor, has both xray: and agent:, or an xray:
// section that is not a mapping or that it could not rewrite faithfully.
FileMigration migrate_text(std::string_view text, const std::string& path, const Options& options);

// What the X-Ray-to-OpenTelemetry path loses on the way (agents.md).
const std::vector<std::string>& otel_path_losses();

}  // namespace xb::migrate
