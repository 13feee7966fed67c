// xraybake validate [FILE...]: every problem of every descriptor at once,
// offline (a local oci: base is looked at, a registry never).
#include <iostream>
#include <iterator>
#include <optional>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/commands.h"
#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "oci/base_image.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::cli {

namespace {

// "daemon 3.x" as it always said for the X-Ray daemon; "adot-collector 0.49.0" for the others.
std::string agent_label(const Descriptor& d) {
  if (agent_kind(d) == "xray-daemon") return "daemon " + d.xray.version;
  return agent_kind(d) + " " + agent_basics(d).version;
}

constexpr const char* kStdinName = "<stdin>";

struct Checked {
  std::string file;                  // as given, or <stdin>
  std::optional<Descriptor> desc;    // when valid
  std::optional<Error> error;        // when not
};

// Where service.base is written in TEXT (1-based), or 0:0.
std::pair<int, int> base_position(const std::string& text) {
  try {
    YAML::Node base = YAML::Load(text)["service"]["base"];
    if (base.IsDefined()) return {base.Mark().line + 1, base.Mark().column + 1};
  } catch (const YAML::Exception&) {
  }
  return {0, 0};
}

// A local oci:DIR[:TAG] base must be there, with the tag and every platform:
// else a problem at service.base (build would fail on it later).
void check_local_base(const Descriptor& d, const std::string& text) {
  BaseRef ref = parse_base(d);
  if (!ref.oci_layout) return;  // a registry: validate stays offline
  try {
    auto base = oci::read_base_image(ref.dir, ref.tag, d.service.platforms);
    log::verbose(d.path + ": base " + ref.dir + ":" + base.tag + " is there (" + base.top_digest + ")");
  } catch (const Error& e) {
    auto [line, column] = base_position(text);
    std::string message = std::string("service.base: ") + e.what();
    if (!e.hint().empty()) message += " (" + e.hint() + ")";
    throw Error(ExitCode::bad_input, {Diagnostic{d.path, line, column, message}});
  }
}

Checked check(const std::string& file, std::istream& in) {
  Checked c{file == "-" ? kStdinName : file, std::nullopt, std::nullopt};
  try {
    std::string text;
    if (file == "-") {
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      c.desc = agents::parse_descriptor(text, c.file);
    } else {
      c.desc = agents::load_descriptor(file);
      text = read_file(file);
    }
    log::verbose(c.file + ": service " + c.desc->service.name + ", base " + c.desc->service.base + ", tag " +
                 c.desc->service.tag);
    check_local_base(*c.desc, text);
  } catch (const Error& e) {
    c.desc.reset();
    c.error = e;
  }
  return c;
}

nlohmann::ordered_json result_json(const Checked& c) {
  nlohmann::ordered_json out;
  out["file"] = c.file;
  out["valid"] = c.desc.has_value();
  if (c.desc) {
    out["service"] = c.desc->service.name;
    out["tag"] = c.desc->service.tag;
    out["platforms"] = c.desc->service.platforms;
  }
  out["errors"] = nlohmann::ordered_json::array();
  if (c.error) {
    for (const auto& d : c.error->diagnostics()) out["errors"].push_back(diagnostic_json(d));
    if (c.error->diagnostics().empty()) out["errors"].push_back({{"file", c.file}, {"message", c.error->what()}});
  }
  out["warnings"] = nlohmann::ordered_json::array();
  if (c.desc)
    for (const auto& w : c.desc->warnings) out["warnings"].push_back(diagnostic_json(w));
  return out;
}

// A valid file's line on stdout (not with --json or -q), a failed file's problems on stderr.
void print_text(const Checked& c, bool json) {
  if (c.desc) {
    if (!json && log::level() >= log::Level::normal) {
      for (const auto& w : c.desc->warnings) std::cerr << w.str() << "\n";
      const auto& s = c.desc->service;
      std::cout << c.file << ": OK (" << s.name << ", " << s.platforms.size() << " platform"
                << (s.platforms.size() == 1 ? "" : "s") << ", " << agent_label(*c.desc) << ")\n";
    }
    return;
  }
  if (c.error->diagnostics().empty()) log::error(c.error->what());
  for (const auto& d : c.error->diagnostics()) std::cerr << d.str() << "\n";
  if (!c.error->hint().empty()) std::cerr << "hint: " << c.error->hint() << "\n";
}

// All files' failures as one --json error object: bad input if any file has
// bad input, else runtime; every file's diagnostics.
nlohmann::ordered_json combined_error(const std::vector<Checked>& results) {
  if (results.size() == 1) return error_json(*results.front().error);
  std::vector<Diagnostic> all;
  size_t failed = 0;
  ExitCode code = ExitCode::runtime;
  std::string hint;
  for (const auto& c : results) {
    if (!c.error) continue;
    ++failed;
    if (c.error->code() == ExitCode::bad_input) code = ExitCode::bad_input;
    if (hint.empty()) hint = c.error->hint();
    for (const auto& d : c.error->diagnostics()) all.push_back(d);
    if (c.error->diagnostics().empty()) all.push_back(Diagnostic{c.file, 0, 0, c.error->what()});
  }
  auto out = error_json(Error(code, all));
  out["error"]["message"] =
      std::to_string(failed) + " of " + std::to_string(results.size()) + " descriptors have problems";
  out["error"]["hint"] = hint;
  return out;
}

}  // namespace

void add_validate(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "validate", "Check descriptors and report every problem of each at once, as FILE:LINE:COL: message");
  cmd->footer(
      "Exit status 0 when every descriptor is valid, 2 with one line per problem otherwise.\n"
      "A local base (oci:DIR[:TAG]) must exist with that tag and every platform; a registry base\n"
      "is not contacted (validate works offline). FILE - reads standard input (named <stdin>).\n\n"
      "Examples:\n"
      "  xraybake validate                       # ./xraybake.yaml\n"
      "  xraybake validate services/*/xraybake.yaml\n"
      "  generate-descriptor | xraybake validate -\n"
      "  xraybake --json validate                # {\"valid\": true, ...} on stdout; several FILEs:\n"
      "                                          # {\"valid\": ..., \"files\": [...]}");
  static std::vector<std::string> files;
  files.clear();
  cmd->add_option("FILE", files, "The descriptors (default ./xraybake.yaml); - for standard input");
  cmd->callback([&global] {
    std::vector<std::string> todo = files.empty() ? std::vector<std::string>{"xraybake.yaml"} : files;
    if (std::count(todo.begin(), todo.end(), "-") > 1)
      fail_input("validate: - (standard input) is given more than once", "give - once");
    std::vector<Checked> results;
    for (const auto& f : todo) results.push_back(check(f, std::cin));
    bool ok = std::none_of(results.begin(), results.end(), [](const Checked& c) { return c.error.has_value(); });
    for (const auto& c : results) print_text(c, global.json);
    auto error = ok ? nlohmann::ordered_json() : combined_error(results);
    if (!global.json) {
      if (!ok) throw Reported{ExitCode(error["error"]["exit_code"].get<int>())};
      return;
    }
    nlohmann::ordered_json out;
    if (results.size() == 1) {
      out = result_json(results.front());
    } else {
      out["valid"] = ok;
      out["files"] = nlohmann::ordered_json::array();
      for (const auto& c : results) out["files"].push_back(result_json(c));
    }
    if (!ok) out["error"] = error["error"];
    std::cout << out.dump(2) << "\n";
    if (!ok) throw Reported{ExitCode(error["error"]["exit_code"].get<int>())};
  });
}

}  // namespace xb::cli
