// What the commands that reach a registry (build --push, inspect) share:
// --insecure-registry and the registry options made from the common flags.
#include "cli/commands.h"

namespace xb::cli {

void add_insecure_registry_flag(CLI::App* cmd, std::vector<std::string>& hosts) {
  cmd->add_option("--insecure-registry", hosts,
                  "Allow plain HTTP and unverified TLS for this registry HOST[:PORT] (repeat); localhost is "
                  "always allowed plain HTTP")
      ->type_name("HOST")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

registry::RegistryOptions registry_options(const GlobalOptions& global, const std::vector<std::string>& insecure) {
  registry::RegistryOptions r;
  r.cache_dir = global.cache_dir;
  r.offline = global.offline;
  r.insecure_registries = insecure;
  r.ca_file = global.ca_bundle;
  return r;
}

}  // namespace xb::cli
