// xraybake: one YAML descriptor in, a single-container image with the AWS
// X-Ray daemon and a proper PID 1 out.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "util/error.h"
#include "util/log.h"

// CLI11 appends a validator's name to the type in --help ("FILE:FILE"); the
// type name alone says it.
static CLI::Validator quiet_validator(CLI::Validator v) { return v.description(""); }

int main(int argc, char** argv) {
  using namespace xb;
  cli::GlobalOptions global;
  CLI::App app{
      "xraybake turns one YAML service descriptor into a single-container OCI image that runs\n"
      "your service together with the AWS X-Ray daemon, under a small PID 1 supervisor\n"
      "(xraybake-init) that starts the daemon first, forwards signals, restarts the daemon\n"
      "if it dies, and on shutdown stops the app first and lets the daemon flush.\n\n"
      "Example:\n"
      "  xraybake init --name orders-api --base oci:build/app-oci:latest\n"
      "  xraybake validate\n"
      "  xraybake build -o out\n",
      "xraybake"};
  app.set_version_flag("--version", std::string("xraybake ") + XRAYBAKE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  std::string cache_dir;
  bool quiet = false;
  int verbose = 0;
  app.add_option("--cache-dir", cache_dir,
                 "Cache for downloaded .debs and built layers (default $XDG_CACHE_HOME/xraybake, else ~/.cache/xraybake)")
      ->envname("XRAYBAKE_CACHE_DIR");
  app.add_flag("--offline", global.offline, "Use only the cache; never touch the network");
  app.add_flag("--locked", global.locked, "Refuse anything that does not match xraybake.lock");
  app.add_flag("--json", global.json, "Print a machine-readable result on stdout");
  app.add_flag("-q,--quiet", quiet, "Print errors only");
  app.add_flag("-v,--verbose", verbose, "Say more about each step");
  app.add_option("--ca-bundle", global.ca_bundle,
                 "PEM file of CA certificates to trust for https, for the daemon download and registries "
                 "(default: XRAYBAKE_CA_BUNDLE, else the system's; verification is never turned off)")
      ->check(quiet_validator(CLI::ExistingFile))
      ->type_name("FILE");
  app.add_option("--templates", global.templates_dir, "Use the templates in DIR instead of the embedded ones")
      ->check(quiet_validator(CLI::ExistingDirectory))
      ->type_name("DIR");
  app.get_option("--cache-dir")->type_name("DIR");

  cli::add_init(app, global);
  cli::add_validate(app, global);
  cli::add_fetch(app, global);
  cli::add_build(app, global);
  cli::add_migrate(app, global);

  app.parse_complete_callback([&] {
    log::set_level(quiet ? log::Level::quiet : verbose > 0 ? log::Level::verbose : log::Level::normal);
    global.cache_dir = cache_dir.empty() ? cli::default_cache_dir() : cache_dir;
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 uses its own codes; the contract says bad flags are exit 2.
    return rc == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  } catch (const Error& e) {
    if (!e.diagnostics().empty()) {
      for (const auto& d : e.diagnostics()) std::cerr << d.str() << "\n";
    } else {
      log::error(e.what());
    }
    if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    log::error(e.what());
    return static_cast<int>(ExitCode::runtime);
  }
  return 0;
}
