#include "cli/commands.h"
#include "util/error.h"

namespace xb::cli {

void add_validate(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("validate", "(not implemented yet)");
  cmd->callback([&global] {
    (void)global;
    fail_runtime("xraybake validate is not implemented yet");
  });
}

}  // namespace xb::cli
