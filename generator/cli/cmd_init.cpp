// xraybake init [DIR]: a commented starter descriptor that validate accepts.
#include <cctype>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "cli/commands.h"
#include "descriptor/descriptor.h"
#include "descriptor/image_names.h"
#include "descriptor/schema.h"
#include "render/starter.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::cli {

namespace {

struct InitArgs {
  std::string dir = ".";
  std::string name;
  std::string base = "oci:build/app-oci:latest";
  std::string agent = "adot-collector";
  bool force = false;
};

// A directory name made into an image name ("Orders API" -> "orders-api").
std::string name_from_dir(const fs::path& dir) {
  std::string raw = fs::absolute(dir).lexically_normal().filename().string();
  if (raw.empty()) raw = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  std::string out;
  for (char c : raw) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return valid_image_name(out) ? out : "my-service";
}

void run_init(const InitArgs& args, const GlobalOptions& global) {
  fs::path file = fs::path(args.dir) / "xraybake.yaml";
  std::string name = args.name.empty() ? name_from_dir(args.dir) : args.name;
  if (!valid_image_name(name))
    fail_input("--name \"" + name + "\" is not a valid image name",
               "use lowercase letters and digits, with . _ - only between them, e.g. orders-api");
  if (fs::exists(file) && !args.force)
    fail_input(file.string() + " already exists", "use --force to overwrite it, or give another DIR");
  const agents::Agent* agent = agents::find_agent(args.agent);
  if (!agent || args.agent == "xray-daemon")
    fail_input("--agent " + args.agent + ": " + (agent ? "a new service should not start on the X-Ray daemon, "
                                                         "whose support ends on 2027-02-25"
                                                       : "not an agent kind this xraybake builds"),
               "use --agent adot-collector (the default) or otelcol-contrib");
  RenderOptions options;
  options.templates_dir = global.templates_dir;
  std::string text = render_starter(name, args.base, args.agent, std::string(agent->example_version()), options);
  Descriptor starter;
  try {
    starter = agents::parse_descriptor(text, file.string());
    log::verbose("rendered the starter for " + name + " (base " + args.base + "); it passes the descriptor's checks");
  } catch (const Error& e) {
    fail_input("the starter descriptor would not validate:\n" + std::string(e.what()), "check --name and --base");
  }
  std::error_code ec;
  fs::create_directories(args.dir, ec);
  if (ec) fail_runtime("cannot create " + args.dir + ": " + ec.message());
  write_file_atomic(file, text);
  // The schema the starter's yaml-language-server comment names, beside it
  // (xraybake's own file: refreshed, unless it is something else by that name).
  const fs::path schema = fs::path(args.dir) / "xraybake.schema.json";
  if (!fs::exists(schema, ec) || args.force || read_file(schema).find("xraybake service descriptor") != std::string::npos)
    write_file_atomic(schema, descriptor_schema());
  if (global.json) {
    std::cout << nlohmann::ordered_json{{"file", file.string()}, {"name", name}, {"base", args.base}}.dump(2) << "\n";
    return;
  }
  log::info("wrote " + file.string());
  BaseRef base = parse_base(starter);
  std::error_code exists_ec;
  if (base.oci_layout && !fs::exists(fs::path(base.dir) / "index.json", exists_ec))
    log::info("next: put your app's image at " + base.dir + " as an OCI layout (e.g. skopeo copy docker://IMAGE oci:" +
              base.dir + ":" + (base.tag.empty() ? "latest" : base.tag) + "), or change service.base");
  log::info("next: edit it, then run xraybake validate " + file.string() + " and xraybake build " + file.string());
}

}  // namespace

void add_init(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init", "Write a commented starter DIR/xraybake.yaml (never overwrites without --force)");
  cmd->footer(
      "The starter passes xraybake validate once its base exists; every key is listed with its default. Its\n"
      "first line, `# yaml-language-server: $schema=xraybake.schema.json`, points editors at the schema that\n"
      "init writes beside it (xraybake schema prints it), so they complete and check every key.\n\n"
      "Examples:\n"
      "  xraybake init                                   # ./xraybake.yaml, named after the directory\n"
      "  xraybake init services/orders --name orders-api --base oci:build/app-oci:latest\n"
      "  xraybake init --base registry.example.com/team/app:1.0 --force");
  static InitArgs args;
  args = InitArgs{};
  cmd->add_option("DIR", args.dir, "Directory to write xraybake.yaml into (created if missing; default .)");
  cmd->add_option("--name", args.name, "service.name (default: from DIR's name)");
  cmd->add_option("--base", args.base,
                  "service.base: oci:DIR[:TAG] (relative to the descriptor) or a registry reference "
                  "(default oci:build/app-oci:latest)");
  cmd->add_option("--agent", args.agent, "agent.kind of the starter: adot-collector (default) or otelcol-contrib")
      ->type_name("KIND");
  cmd->add_flag("--force", args.force, "Overwrite an existing xraybake.yaml");
  cmd->callback([&global] { run_init(args, global); });
}

}  // namespace xb::cli
