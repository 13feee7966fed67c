// xraybake schema: the descriptor's JSON Schema on stdout, for editors
// (yaml-language-server) and for checks in other tools.
#include <iostream>

#include "cli/commands.h"
#include "descriptor/schema.h"

namespace xb::cli {

void add_schema(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("schema", "Print the JSON Schema (draft-07) of xraybake.yaml");
  cmd->footer(
      "Editors that speak yaml-language-server (VS Code's YAML extension, Neovim, JetBrains) complete and check\n"
      "the descriptor with it: `xraybake init` writes xraybake.schema.json beside the descriptor and the\n"
      "`# yaml-language-server: $schema=xraybake.schema.json` comment that points at it. The schema says which\n"
      "keys exist and their shapes; `xraybake validate` checks everything it says and more (durations that fit,\n"
      "files that exist, the agent's own config).\n\n"
      "Examples:\n"
      "  xraybake schema > xraybake.schema.json\n"
      "  xraybake schema | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)[\"properties\"]))'");
  cmd->callback([] { std::cout << descriptor_schema() << std::flush; });
}

}  // namespace xb::cli
