#include "cli/commands.h"
#include "util/error.h"

namespace xb::cli {

void add_fetch(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("fetch", "(not implemented yet)");
  cmd->callback([&global] {
    (void)global;
    fail_runtime("xraybake fetch is not implemented yet");
  });
}

}  // namespace xb::cli
