// xraybake inspect TARGET: what an image holds, read without downloading a
// layer: a build's OUT (its oci/), a layout (oci:DIR[:TAG]) or a registry
// reference (crane manifest / skopeo inspect, plus what xraybake knows: the
// agent and its .deb, the layers xraybake added, the attached SBOM and provenance).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "inspect/inspect.h"
#include "oci/layout.h"
#include "oci/layout_source.h"
#include "registry/reference.h"
#include "registry/remote_source.h"
#include "util/error.h"

namespace xb::cli {

namespace {

struct InspectArgs {
  std::string target;
  std::vector<std::string> insecure_registries;
};

std::unique_ptr<oci::ImageSource> source_for(const InspectArgs& args, const GlobalOptions& global) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (oci::is_layout_reference(args.target)) {
    oci::LayoutReference l = oci::parse_layout_reference(args.target);
    return std::make_unique<oci::LayoutSource>(l.dir, l.tag);
  }
  // A build's OUT holds its layout in oci/; a directory with index.json is a layout.
  if (fs::is_directory(args.target, ec)) {
    fs::path dir = args.target;
    if (fs::is_regular_file(dir / "oci" / "index.json", ec)) return std::make_unique<oci::LayoutSource>(dir / "oci", "");
    return std::make_unique<oci::LayoutSource>(dir, "");
  }
  if (global.offline)
    fail_input("--offline: " + args.target + " is not a local directory, and a registry needs the network",
               "name a build's OUT or an oci:DIR[:TAG] layout, or drop --offline");
  return std::make_unique<registry::RemoteSource>(registry::parse_reference(args.target),
                                                  registry_options(global, args.insecure_registries));
}

}  // namespace

void add_inspect(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "inspect", "Show what an image holds: platforms, layers (the base's and xraybake's), the agent and its "
                 ".deb, and the SBOM and provenance attached to it; no layer is downloaded");
  cmd->footer(
      "TARGET is a build's output directory (OUT, read from OUT/oci), an OCI layout (oci:DIR[:TAG], or DIR),\n"
      "or a registry reference (REGISTRY/REPOSITORY[:TAG|@DIGEST]). From a registry only the index, the\n"
      "manifests and the configs are read; the referrers come from the registry's referrers API (OCI\n"
      "distribution 1.1, as ECR has it), else from the sha256-<digest> tag `xraybake build --push` writes\n"
      "where there is none. Credentials as for --push (DOCKER_CONFIG, credential helpers).\n\n"
      "Examples:\n"
      "  xraybake inspect out                               # what the last build made\n"
      "  xraybake inspect oci:out/oci:1.4.2\n"
      "  xraybake inspect 123456789012.dkr.ecr.us-east-2.amazonaws.com/orders-api:1.4.2\n"
      "  xraybake --json inspect localhost:5000/orders-api:1.4.2 | jq '.platforms[].agent'");
  static InspectArgs args;
  args = InspectArgs{};
  cmd->add_option("TARGET", args.target, "OUT, oci:DIR[:TAG], DIR, or a registry reference")->required();
  add_insecure_registry_flag(cmd, args.insecure_registries);
  cmd->callback([&global] {
    auto source = source_for(args, global);
    nlohmann::ordered_json report = inspect::inspect_image(*source);
    if (global.json)
      std::cout << report.dump(2) << "\n";
    else
      std::cout << inspect::report_text(report) << std::flush;
  });
}

}  // namespace xb::cli
