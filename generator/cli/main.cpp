// xraybake: one YAML descriptor in, a single-container image with the AWS
// X-Ray daemon and a proper PID 1 out.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/options.h"
#include "descriptor/suggest.h"
#include "util/error.h"
#include "util/log.h"

namespace {

using namespace xb;

// CLI11 appends a validator's name to the type in --help ("FILE:FILE"); the
// type name alone says it.
CLI::Validator quiet_validator(CLI::Validator v) { return v.description(""); }

// The top-level flags, for the help of every subcommand (they may come before
// or after it).
std::string common_flags_help(CLI::App& app) {
  std::string out = "Common flags (before or after the command):\n";
  for (const CLI::Option* opt : app.get_options()) {
    std::string name = opt->get_name(false, true);
    if (name.empty() || name == "-h,--help") continue;
    if (opt->get_items_expected_max() > 0) name += " " + opt->get_type_name();
    std::string line = "  " + name;
    line += line.size() < 30 ? std::string(30 - line.size(), ' ') : "\n" + std::string(30, ' ');
    out += line + opt->get_description() + "\n";
  }
  return out;
}

// The first word of ARGV that is neither a flag nor a flag's value: the
// subcommand the user meant, or nullopt.
std::optional<std::string> command_word(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") return std::nullopt;
    if (a.empty() || a[0] != '-') return a;
    if (a.find('=') != std::string::npos) continue;
    const CLI::Option* opt = app.get_option_no_throw(a);
    if (opt && opt->get_items_expected_max() > 0) ++i;  // its value
  }
  return std::nullopt;
}

// `xraybake biuld`: exit 2 with the nearest command.
std::optional<Error> unknown_command(CLI::App& app, int argc, char** argv) {
  auto word = command_word(app, argc, argv);
  if (!word) return std::nullopt;
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == *word) return std::nullopt;
    names.push_back(sub->get_name());
  }
  auto near = nearest(*word, names);
  return Error(ExitCode::bad_input,
               "unknown command \"" + *word + "\"" + (near ? " (did you mean " + *near + "?)" : ""),
               "the commands are " + [&] {
                 std::string list;
                 for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
                 return list;
               }() + "; xraybake --help says what each does");
}

// --json anywhere before "--" (the flag may not be parsed yet when parsing failed).
bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
    if (std::strcmp(argv[i], "--json") == 0) return true;
  return false;
}

// Counts what goes to stdout: a subcommand that printed its own --json
// document before failing keeps stdout one JSON document.
class CountingBuf : public std::streambuf {
 public:
  explicit CountingBuf(std::streambuf* inner) : inner_(inner) {}
  size_t count() const { return count_; }
  std::streambuf* inner() const { return inner_; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    ++count_;
    return inner_->sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    count_ += static_cast<size_t>(n);
    return inner_->sputn(s, n);
  }
  int sync() override { return inner_->pubsync(); }

 private:
  std::streambuf* inner_;
  size_t count_ = 0;
};

// An error on stderr (every diagnostic, then the hint) and, with --json, as
// {"error": ...} on stdout (unless the command printed its document there);
// returns the exit status.
int report(const Error& e, bool json, const CountingBuf& out) {
  std::cerr << cli::error_text(e);
  if (json && out.count() == 0) std::cout << cli::error_json(e).dump(2) << "\n";
  return static_cast<int>(e.code());
}

// Parses and runs the command; every failure reported, its exit status returned.
int run(CLI::App& app, int argc, char** argv, bool json, const CountingBuf& out) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (auto unknown = unknown_command(app, argc, argv)) return report(*unknown, json, out);
    if (!json) {
      app.exit(e);
    } else {
      std::cerr << "error: " << e.what() << "\n";
      std::cout << cli::error_json(Error(ExitCode::bad_input, e.what(), "see xraybake --help")).dump(2) << "\n";
    }
    // CLI11 uses its own codes; the contract says bad flags are exit 2.
    return static_cast<int>(ExitCode::bad_input);
  } catch (const cli::Reported& r) {
    return static_cast<int>(r.code);
  } catch (const Error& e) {
    return report(e, json, out);
  } catch (const std::exception& e) {
    return report(Error(ExitCode::runtime, e.what()), json, out);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cli::GlobalOptions global;
  CLI::App app{
      "xraybake turns one YAML service descriptor into a single-container OCI image that runs\n"
      "your service together with its tracing agent (the ADOT collector, otelcol-contrib, or\n"
      "the X-Ray daemon until its end of support), under a small PID 1 supervisor\n"
      "(xraybake-init) that starts the agent first, forwards signals, restarts the agent\n"
      "if it dies, and on shutdown stops the app first and lets the agent flush.\n\n"
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
  app.add_flag("--json", global.json,
               "Print a machine-readable result on stdout; on failure {\"error\": {\"message\", \"hint\", "
               "\"exit_code\", \"diagnostics\"}}");
  app.add_flag("-q,--quiet", quiet, "Print errors only");
  app.add_flag("-v,--verbose", verbose, "Also print debug lines: what each step reads, writes and decides");
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
  cli::add_inspect(app, global);
  cli::add_cache(app, global);
  cli::add_schema(app, global);
  cli::add_completion(app, global);
  cli::add_man(app, global);

  const std::string common = common_flags_help(app);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    sub->footer(sub->get_footer().empty() ? common : common + "\n" + sub->get_footer());

  app.parse_complete_callback([&] {
    log::set_level(quiet ? log::Level::quiet : verbose > 0 ? log::Level::verbose : log::Level::normal);
    global.cache_dir = cache_dir.empty() ? cli::default_cache_dir() : cache_dir;
    log::verbose(std::string("xraybake ") + XRAYBAKE_VERSION + ", cache " + global.cache_dir +
                 (global.offline ? ", offline" : "") + (global.locked ? ", locked" : ""));
  });

  const bool json = wants_json(argc, argv);
  CountingBuf out(std::cout.rdbuf());
  std::cout.rdbuf(&out);
  int status = run(app, argc, argv, json, out);
  std::cout.flush();
  std::cout.rdbuf(out.inner());
  return status;
}
