// xraybake build [FILE] [-o OUT]: everything into a staging directory beside
// OUT, renamed onto OUT only when complete, so an interrupted build never
// leaves a half-written OUT that looks valid.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "descriptor/descriptor.h"
#include "fetch/fetch.h"
#include "oci/build_outputs.h"
#include "render/render.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::cli {

namespace {

struct BuildArgs {
  std::string file = "xraybake.yaml";
  std::string out = "out";
  bool text_only = false;  // --text-only: no fetch, no layers, no OCI image
};

void run_build(const BuildArgs& args, const GlobalOptions& global) {
  Descriptor desc = load_descriptor(args.file);
  RenderOptions render;
  render.templates_dir = global.templates_dir;
  StagingDir staging(args.out);
  // Steps that need the daemon .deb and the base image (fetch, layers, OCI
  // image, build.json) write into staging.path() here, before the text outputs.
  nlohmann::json image;  // build.json's summary for --json
  if (!args.text_only) {
    oci::BaseLayout base = oci::local_base_layout(desc);
    if (desc.service.command.empty()) render.base_command = oci::base_image_command(desc, base);
    FetchOptions fetch;
    fetch.cache_dir = global.cache_dir;
    fetch.offline = global.offline;
    fetch.locked = global.locked;
    std::vector<FetchedDeb> debs = fetch_all(desc, fetch);
    auto built = oci::write_image_outputs(desc, debs, staging.path(), base, render);
    image = {{"index", built.report["oci"]["index"]}, {"platforms", built.report["platforms"]}};
  }
  if (desc.service.command.empty() && !render.base_command)
    log::warn("service.command is empty: the Dockerfile gets no CMD, so the app is the base image's; "
              "set service.command to be explicit");
  write_text_outputs(desc, staging.path(), render);
  staging.commit();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(args.out)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  if (global.json) {
    nlohmann::ordered_json out{{"descriptor", args.file}, {"out", args.out}, {"service", desc.service.name},
                               {"tag", desc.service.tag}, {"platforms", desc.service.platforms}, {"files", files}};
    if (!image.is_null()) out["image"] = image;
    std::cout << out.dump(2) << "\n";
    return;
  }
  log::info("built " + desc.service.name + " into " + args.out + "/:");
  for (const auto& f : files) log::info("  " + f);
}

}  // namespace

void add_build(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "build", "Build everything for a descriptor into OUT: fetch the daemon .deb, then Dockerfile, "
               "docker-entrypoint.sh, cfg.yaml, ecs-task-definition.json, layers/*.tar.gz, the OCI image "
               "layout oci/ and build.json");
  cmd->footer(
      "OUT is replaced as a whole, only once every output is written.\n\n"
      "Examples:\n"
      "  xraybake build                         # ./xraybake.yaml into ./out\n"
      "  xraybake build services/orders/xraybake.yaml -o build/orders\n"
      "  xraybake --templates my-templates build   # use your own Dockerfile.mustache etc.");
  static BuildArgs args;
  args = BuildArgs{};
  cmd->add_option("FILE", args.file, "The descriptor (default ./xraybake.yaml)");
  cmd->add_option("-o,--out", args.out, "Output directory (default ./out)");
  cmd->add_flag("--text-only", args.text_only,
                "Only the text outputs (Dockerfile, docker-entrypoint.sh, ecs-task-definition.json, cfg.yaml): "
                "no fetch, no layers, no OCI image; for reviewing templates offline");
  cmd->callback([&global] { run_build(args, global); });
}

}  // namespace xb::cli
