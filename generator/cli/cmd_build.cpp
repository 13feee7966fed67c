#include "cli/commands.h"
#include "util/error.h"

namespace xb::cli {

void add_build(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("build", "(not implemented yet)");
  cmd->callback([&global] {
    (void)global;
    fail_runtime("xraybake build is not implemented yet");
  });
}

}  // namespace xb::cli
