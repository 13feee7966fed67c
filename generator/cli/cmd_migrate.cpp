// xraybake migrate [FILE...] --to KIND: descriptors moved off the X-Ray
// daemon (xray:) onto another agent (agent:), in place, all or nothing.
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "agents/agent.h"
#include "cli/commands.h"
#include "migrate/migrate.h"
#include "migrate/report.h"
#include "migrate/unified_diff.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strings.h"

namespace xb::cli {

namespace {

struct MigrateArgs {
  std::vector<std::string> files;
  migrate::Options options;
  bool check = false;
  std::string report;  // --report FILE: Markdown, or JSON with --json or a .json name
};

struct Planned {
  std::string file;  // as the user named it (for messages and the diff)
  fs::path target;   // the file itself (symlinks followed), what is written
  migrate::FileMigration migration;
  std::string diff;
  bool written = false;
};

// FILE as given, DIR as DIR/xraybake.yaml; each file once.
std::vector<std::pair<std::string, fs::path>> resolve(const std::vector<std::string>& args) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::set<fs::path> seen;
  for (std::string f : args.empty() ? std::vector<std::string>{"xraybake.yaml"} : args) {
    f = descriptor_path(f);
    std::error_code ec;
    fs::path target = fs::weakly_canonical(f, ec);
    if (ec) target = f;
    if (seen.insert(target).second) out.emplace_back(f, target);
  }
  return out;
}

std::string where(const std::string& file, const migrate::Note& n) {
  return file + (n.line ? ":" + std::to_string(n.line) + ":" + std::to_string(n.column) : "") + ": ";
}

void print_notes(const Planned& p) {
  for (const auto& n : p.migration.notes) {
    if (n.kind == migrate::Note::Kind::translated)
      log::verbose(where(p.file, n) + n.from + " -> " + n.to);
    else
      log::info(where(p.file, n) + (n.kind == migrate::Note::Kind::dropped ? "dropped " : "not translated ") + n.from +
                ": " + n.why);
  }
}

nlohmann::ordered_json file_json(const Planned& p) {
  nlohmann::ordered_json j;
  j["file"] = p.file;
  j["outcome"] = p.migration.outcome == migrate::Outcome::migrated ? "migrated" : "already-agent";
  if (!p.migration.agent_kind.empty()) j["agent_kind"] = p.migration.agent_kind;
  j["changed"] = p.migration.changed();
  j["written"] = p.written;
  j["notes"] = nlohmann::json::array();
  for (const auto& n : p.migration.notes) j["notes"].push_back(migrate::note_json(n));
  j["diff"] = p.diff;
  return j;
}

void write_report(const MigrateArgs& args, const GlobalOptions& global, const std::vector<Planned>& plan) {
  std::vector<migrate::ServiceReport> services;
  for (const auto& p : plan) services.push_back(migrate::report_for(p.file, p.migration));
  const bool json = global.json || args.report.ends_with(".json");
  write_file_atomic(args.report, json ? migrate::report_json(services, args.options).dump(2) + "\n"
                                      : migrate::report_markdown(services, args.options));
  log::info("wrote the migration report " + args.report + (json ? " (JSON)" : " (Markdown)"));
}

void run_migrate(const MigrateArgs& args_in, const GlobalOptions& global) {
  MigrateArgs args = args_in;
  args.options = migrate::resolve_options(args.options);
  // Read and migrate every file first: nothing is written unless all of them can be.
  std::vector<Planned> plan;
  std::vector<Diagnostic> problems;
  for (const auto& [file, target] : resolve(args.files)) {
    try {
      std::error_code ec;
      if (!fs::exists(target, ec))
        throw Error(ExitCode::bad_input, file + ": no such file",
                    "give descriptors or the directories that hold them (DIR means DIR/xraybake.yaml)");
      Planned p{file, target, migrate::migrate_text(read_file(target), file, args.options), "", false};
      p.diff = migrate::unified_diff(p.migration.before, p.migration.after, file);
      plan.push_back(std::move(p));
    } catch (const Error& e) {
      if (!e.diagnostics().empty()) {
        problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
      } else {
        std::string m = e.what();
        Diagnostic d;
        d.message = m.starts_with(file + ": ") ? m.substr(file.size() + 2) : m;
        d.file = file;
        problems.push_back(d);
      }
    }
  }
  nlohmann::ordered_json summary;
  summary["to"] = args.options.to;
  summary["version"] = args.options.version;
  summary["check"] = args.check;
  // With --json the failure goes into the summary (as "error", like every command's) and on stderr.
  auto fail = [&](const Error& e) {
    if (!global.json) throw e;
    for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    if (e.diagnostics().empty()) log::error(e.what());
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    summary["error"] = error_json(e)["error"];
    std::cout << summary.dump(2) << "\n";
    throw Reported{e.code()};
  };
  if (!problems.empty()) {
    summary["files"] = nlohmann::json::array();
    summary["errors"] = nlohmann::json::array();
    for (const auto& d : problems) summary["errors"].push_back(diagnostic_json(d));
    fail(Error(ExitCode::bad_input, problems));
  }

  size_t changed = 0, already = 0;
  for (auto& p : plan) {
    const auto& m = p.migration;
    if (!global.json) std::cout << p.diff << std::flush;
    if (m.outcome == migrate::Outcome::already_agent) {
      ++already;
      log::verbose(p.file + ": already on agent:" + (m.agent_kind.empty() ? "" : " " + m.agent_kind) + "; unchanged");
      // agent: with the daemon's kind is still the daemon, but not a section migrate rewrites.
      if (m.agent_kind == "xray-daemon" && !global.json)
        log::warn(p.file + ": agent.kind is xray-daemon, left as it is: migrate rewrites xray: sections; set kind: " +
                  args.options.to + " and version: " + args.options.version + " by hand (docs/migration.md)");
      continue;
    }
    if (!m.changed()) continue;
    ++changed;
    if (!global.json) print_notes(p);
    if (args.check) {
      log::info(p.file + ": would change (--check writes nothing)");
      continue;
    }
    std::error_code ec;
    fs::perms mode = fs::status(p.target, ec).permissions() & fs::perms::all;
    write_file_atomic(p.target, m.after, ec ? fs::perms(0644) : mode);
    p.written = true;
    log::info("wrote " + p.file + " (agent: " + args.options.to + " " + args.options.version + ")");
  }
  if (!args.report.empty()) write_report(args, global, plan);
  std::string losses = "through the collector, X-Ray segments lose " + join(migrate::otel_path_losses(), " and ") +
                       " on the way to X-Ray (docs/migration.md)";
  Error gate(ExitCode::runtime,
             std::to_string(changed) + " descriptor" + (changed == 1 ? " is" : "s are") + " still on the X-Ray daemon",
             "run the same command without --check to rewrite them");
  if (global.json) {
    summary["files"] = nlohmann::json::array();
    for (const auto& p : plan) summary["files"].push_back(file_json(p));
    summary["lost_on_the_way"] = migrate::otel_path_losses();
    summary["errors"] = nlohmann::json::array();
    if (args.check && changed) fail(gate);
    std::cout << summary.dump(2) << "\n";
  } else {
    if (changed) log::info("note: " + losses);
    log::info(std::to_string(changed) + " of " + std::to_string(plan.size()) + " descriptor" +
              (plan.size() == 1 ? "" : "s") + (args.check ? " would change" : " migrated to " + args.options.to) +
              (already ? ", " + std::to_string(already) + " already on agent:" : ""));
  }
  if (args.check && changed) throw gate;
}

}  // namespace

void add_migrate(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "migrate",
      "Rewrite descriptors from the X-Ray daemon (xray:) to another agent (agent:), in place, keeping every "
      "comment, blank line and the order of the rest of the file; prints a unified diff");
  cmd->footer(
      "The daemon's settings are translated: xray.config Region, Endpoint, LocalMode, RoleARN, ResourceARN,\n"
      "ProxyAddress, TotalBufferSizeMB and Socket.UDPAddress become agent.region, endpoint, local_mode, role_arn,\n"
      "resource_arn, proxy_address, buffer_mb and receivers.xray; flush_grace, ready_timeout, restart and log stay;\n"
      "the daemon's flags in args become the same keys. What does not apply to the new agent (the daemon's version,\n"
      "bucket_region, url, sha256 pins, signing_key) is dropped, and what has no agent key (Concurrency, NoVerifySSL,\n"
      "Logging.*, unknown flags) is named, FILE:LINE:COL, with the new agent's nearest setting. A descriptor without\n"
      "xray: (the daemon by default) gets an agent: section too.\n\n"
      "The diff goes to stdout, the notes to stderr. A file that already has agent: is left alone, so a second run\n"
      "changes nothing. All or nothing: when any FILE can not be read or migrated (not YAML, not a descriptor, both\n"
      "xray: and agent:), every problem is printed as FILE:LINE:COL and no file is written. Files are replaced\n"
      "atomically, keeping their mode.\n\n"
      "Exit status: 0 when done, or with --check when nothing would change; 1 with --check when a file would change;\n"
      "2 when a FILE can not be migrated or a flag is wrong.\n\n"
      "Examples:\n"
      "  xraybake migrate --to adot-collector                    # ./xraybake.yaml\n"
      "  xraybake migrate --to adot-collector services/*/        # DIR means DIR/xraybake.yaml\n"
      "  xraybake migrate --to adot-collector --check services/* # CI gate: exit 1 while one is on the daemon\n"
      "  xraybake migrate --to adot-collector --check services/* > to-adot.patch   # review, then: patch -p0 < to-adot.patch\n"
      "  xraybake --json migrate --to adot-collector services/*  # a summary per file, with its notes and diff\n"
      "  xraybake migrate --to otelcol-contrib --check --report migration.md services/*  # plan a fleet's move");
  static MigrateArgs args;
  args = MigrateArgs{};
  cmd->add_option("FILE", args.files, "Descriptors, or directories holding xraybake.yaml (default ./xraybake.yaml)");
  cmd->add_option("--to", args.options.to,
                  "The agent to move to: " + join(migrate::migration_targets(), ", ") +
                      " (adot-collector: the AWS Distro for OpenTelemetry collector)")
      ->required()
      ->type_name("KIND");
  cmd->add_option("--agent-version", args.options.version,
                  "The agent's exact version to write (default: the release docs/agents.md names for KIND, e.g. " +
                      std::string(agents::find_agent(migrate::kAdotCollector)->example_version()) + ")")
      ->type_name("V");
  cmd->add_option("--report", args.report,
                  "Also write a migration report for the fleet: per service the agent before and after, each setting "
                  "translated or not, what the collector path drops, memory and flush budget (Markdown; JSON with "
                  "--json or a .json FILE); written with --check too")
      ->type_name("FILE");
  cmd->add_flag("--check", args.check, "Write nothing; exit 1 when a file would change (a CI gate)");
  cmd->callback([&global] { run_migrate(args, global); });
}

}  // namespace xb::cli
