// Each subcommand registers itself on the CLI11 app; one file per command.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/options.h"
#include "registry/options.h"

namespace xb::cli {

// Each adds a subcommand whose callback does the work and throws xb::Error.
void add_init(CLI::App& app, GlobalOptions& global);
void add_validate(CLI::App& app, GlobalOptions& global);
void add_fetch(CLI::App& app, GlobalOptions& global);
void add_build(CLI::App& app, GlobalOptions& global);
void add_migrate(CLI::App& app, GlobalOptions& global);
void add_cache(CLI::App& app, GlobalOptions& global);
void add_schema(CLI::App& app, GlobalOptions& global);
void add_completion(CLI::App& app, GlobalOptions& global);
void add_inspect(CLI::App& app, GlobalOptions& global);
void add_man(CLI::App& app, GlobalOptions& global);  // hidden

// --insecure-registry HOST (repeatable), for the commands that reach a registry.
void add_insecure_registry_flag(CLI::App* cmd, std::vector<std::string>& hosts);
// The registry options from the common flags (--cache-dir, --offline, --ca-bundle) and INSECURE.
registry::RegistryOptions registry_options(const GlobalOptions& global, const std::vector<std::string>& insecure);

}  // namespace xb::cli
