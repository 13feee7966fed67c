#include "cli/commands.h"
#include "util/error.h"

namespace xb::cli {

void add_init(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init", "(not implemented yet)");
  cmd->callback([&global] {
    (void)global;
    fail_runtime("xraybake init is not implemented yet");
  });
}

}  // namespace xb::cli
