// xraybake validate [FILE]: every problem of a descriptor at once.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "descriptor/descriptor.h"
#include "util/error.h"

namespace xb::cli {

void add_validate(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("validate", "Check a descriptor and report every problem at once, as FILE:LINE:COL: message");
  cmd->footer(
      "Exit status 0 when the descriptor is valid, 2 with one line per problem otherwise.\n\n"
      "Examples:\n"
      "  xraybake validate                       # ./xraybake.yaml\n"
      "  xraybake validate services/orders/xraybake.yaml\n"
      "  xraybake --json validate                # {\"valid\": true, ...} on stdout");
  static std::string file;
  file = "xraybake.yaml";
  cmd->add_option("FILE", file, "The descriptor (default ./xraybake.yaml)");
  cmd->callback([&global] {
    if (!global.json) {
      Descriptor d = load_descriptor(file);
      for (const auto& w : d.warnings) std::cerr << w.str() << "\n";
      std::cout << file << ": OK (" << d.service.name << ", " << d.service.platforms.size() << " platform"
                << (d.service.platforms.size() == 1 ? "" : "s") << ", daemon " << d.xray.version << ")\n";
      return;
    }
    nlohmann::ordered_json out;
    out["file"] = file;
    try {
      Descriptor d = load_descriptor(file);
      out["valid"] = true;
      out["service"] = d.service.name;
      out["tag"] = d.service.tag;
      out["platforms"] = d.service.platforms;
      out["errors"] = nlohmann::json::array();
      out["warnings"] = nlohmann::json::array();
      for (const auto& w : d.warnings)
        out["warnings"].push_back({{"file", w.file}, {"line", w.line}, {"column", w.column}, {"message", w.message}});
      std::cout << out.dump(2) << "\n";
    } catch (const Error& e) {
      if (e.code() != ExitCode::bad_input) throw;
      out["valid"] = false;
      out["errors"] = nlohmann::json::array();
      for (const auto& d : e.diagnostics())
        out["errors"].push_back({{"file", d.file}, {"line", d.line}, {"column", d.column}, {"message", d.message}});
      if (e.diagnostics().empty()) out["errors"].push_back({{"file", file}, {"message", e.what()}});
      std::cout << out.dump(2) << "\n";
      throw;
    }
  });
}

}  // namespace xb::cli
