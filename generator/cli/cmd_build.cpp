// xraybake build [FILE] [-o OUT]: everything into a staging directory beside
// OUT, renamed onto OUT only when complete, so an interrupted build never
// leaves a half-written OUT that looks valid.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/build_fleet.h"
#include "cli/commands.h"
#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "fetch/fetch.h"
#include "build/build_outputs.h"
#include "build/base_layout.h"
#include "build/fleet_store.h"
#include "build/layer_cache.h"
#include "registry/blob_head.h"
#include "registry/push.h"
#include "registry/reference.h"
#include "registry/session.h"
#include "render/render.h"
#include "render/template.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::cli {

namespace {

struct BuildArgs {
  std::string file = "xraybake.yaml";
  std::vector<std::string> files;  // as given; several: a fleet (cli/build_fleet.h)
  std::string out = "out";
  unsigned jobs = 0;               // -j: a fleet's builds at once, 0: one per CPU
  bool text_only = false;  // --text-only: no fetch, no layers, no OCI image
  bool refresh = false;    // --refresh: download the .debs again
  bool push = false;                          // --push [REF]
  std::string push_ref;                       // empty: service.tag
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST
  std::string cache_repo;                     // --cache-repo HOST/NAME: where pinned agent layers may be
};

// The repository REF pushes to: "host/name".
std::string push_repository(const Descriptor& desc, const BuildArgs& args) {
  return registry::parse_reference(args.push_ref.empty() ? desc.service.tag : args.push_ref).name();
}

// FetchOptions::without_deb of a build: with --push (and --cache-repo), the
// agent layer xraybake.lock pins for a .deb the cache lacks is looked for in
// the push target's repository (then skipped at push), then in the cache
// repository of the same registry (then mounted): found, the .deb is not
// needed. A registry that can not be asked (down, no credentials) only means
// the .deb is fetched as usual.
FetchOptions::WithoutDeb layer_in_registry(const Descriptor& desc, const BuildArgs& args,
                                           const registry::RegistryOptions& options) {
  if (!args.push || !agents::agent_for(desc).package_checks().empty()) return {};
  std::vector<std::string> repos;
  try {
    repos.push_back(push_repository(desc, args));
  } catch (const Error&) {
    return {};  // the push says what is wrong with its reference
  }
  if (!args.cache_repo.empty()) {
    const auto target = registry::parse_reference(repos.front());
    const auto cache = registry::parse_repository(args.cache_repo);
    if (cache.registry == target.registry)
      repos.push_back(cache.name());
    else
      log::warn("--cache-repo " + args.cache_repo + " is not on " + target.registry +
                ", where the image is pushed: a blob is mounted only within one registry, so it is not used");
  }
  // Only a layer made for this very layer format and SOURCE_DATE_EPOCH is the one this build would make.
  const std::string format = build::daemon_layer_format(desc.service.compression);
  const int64_t epoch = build::source_date_epoch();
  return [repos, options, format, epoch](const std::string& arch, const LockEntry& entry) -> std::optional<std::string> {
    if (entry.layer->format != format || entry.layer->source_date_epoch != epoch) {
      log::verbose(arch + ": xraybake.lock pins the agent layer for " + entry.layer->format + " and SOURCE_DATE_EPOCH " +
                   std::to_string(entry.layer->source_date_epoch) + ", not this build's; fetching the .deb");
      return std::nullopt;
    }
    for (const auto& repo : repos) {
      try {
        auto size = registry::blob_size(repo, entry.layer->digest, options);
        if (size && *size == entry.layer->size) return repo;
        log::info(arch + ": " + repo + (size ? " has another size for " : " does not hold ") + entry.layer->digest);
      } catch (const Error& e) {
        log::warn(arch + ": could not ask " + repo + " for the agent layer " + entry.layer->digest + ": " + e.what() +
                  "; fetching the .deb");
      }
    }
    return std::nullopt;
  };
}

// FetchOptions::from_fleet of a build in a fleet: the agent layer another of
// its builds made from the pinned .deb, in the fleet's store. Not for an
// agent whose configuration is checked against files of its .deb.
FetchOptions::FleetLookup layer_in_fleet(const Descriptor& desc) {
  if (build::fleet_store().empty() || !agents::agent_for(desc).package_checks().empty()) return {};
  const build::AgentLayerSpec spec = build::agent_layer_spec(desc);
  const int64_t epoch = build::source_date_epoch();
  const oci::Compression c = desc.service.compression;
  return [spec, epoch, c](const std::string& arch, const std::string& sha256) -> std::optional<FetchOptions::FromFleet> {
    auto stored = build::fleet_store_peek(build::agent_layer_key(spec, sha256, arch, epoch, c));
    if (!stored || !stored->package || stored->deb_size == 0 || stored->version.empty()) return std::nullopt;
    LayerPin pin = build::daemon_layer_pin(stored->blob, epoch, c);
    pin.files = stored->files;
    return FetchOptions::FromFleet{stored->version, stored->deb_size, pin, *stored->package};
  };
}

// Pushes OUT/oci; prints REF@DIGEST on stdout (as crane push does) unless --json.
registry::PushResult push_image(const Descriptor& desc, const BuildArgs& args, const GlobalOptions& global,
                                const registry::RemoteBlobs& remote) {
  std::string ref = args.push_ref.empty() ? desc.service.tag : args.push_ref;
  registry::PushResult r =
      registry::push(fs::path(args.out) / "oci", "", ref, registry_options(global, args.insecure_registries), remote);
  log::info("pushed " + r.reference + " (" + r.digest + "): " + std::to_string(r.blobs_uploaded) + " blobs uploaded (" +
            std::to_string(r.bytes_uploaded) + " bytes sent), " + std::to_string(r.blobs_existing) + " already there, " +
            std::to_string(r.blobs_mounted) + " mounted" +
            (r.referrers == 0 ? std::string()
                              : ", " + std::to_string(r.referrers) + " referrers (SBOM, provenance) " +
                                    (r.referrers_tags ? "under the sha256-<digest> tags (no referrers API there)"
                                                      : "through the referrers API")));
  if (!global.json) std::cout << r.name << "@" << r.digest << "\n";
  return r;
}

// LOADED: args.file as a fleet loaded it (else read here).
void run_build(const BuildArgs& args, const GlobalOptions& global, const Descriptor* loaded = nullptr) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<Descriptor> own;
  const Descriptor& desc = loaded ? *loaded : own.emplace(agents::load_descriptor(args.file));
  if (log::level() >= log::Level::normal)
    for (const auto& w : desc.warnings) std::cerr << w.str() << "\n";
  if (args.push && (global.offline || args.text_only))
    fail_input(std::string("--push needs the OCI image and the network; it can not be used with ") +
                   (global.offline ? "--offline" : "--text-only"),
               "drop one of them");
  if (!args.cache_repo.empty() && !args.push)
    fail_input("--cache-repo " + args.cache_repo + " is used by a build that pushes: it lets the push mount the "
                   "agent layer instead of making it, and OUT/oci does not hold a layer it mounts",
               "add --push, or drop --cache-repo");
  if (!args.cache_repo.empty()) registry::parse_repository(args.cache_repo);  // bad_input before anything is built
  RenderOptions render;
  render.templates_dir = global.templates_dir;
  // Never over the descriptor's folder, the cache or the base (StagingDir refuses them).
  BaseRef base_ref = parse_base(desc);
  StagingDir staging(args.out, {desc.dir, global.cache_dir, base_ref.oci_layout ? base_ref.dir : ""});
  log::verbose("staging the outputs in " + staging.path().string());
  // Every output is written into staging.path(): the text outputs, then what
  // needs the agent's .deb and the base image (fetch, layers, OCI image, build.json).
  nlohmann::json image;  // build.json's summary for --json
  registry::RemoteBlobs remote;  // blobs OUT/oci lists and a registry holds
  // The base (pulled, its blobs checked); the text outputs need its command when service.command is empty.
  std::optional<build::BaseLayout> base;
  auto take_base = [&] {
    base = build::base_layout(desc, registry_options(global, args.insecure_registries));
    log::verbose("base image: the OCI layout " + base->dir.string() + (base->tag.empty() ? "" : ", tag " + base->tag));
    if (desc.service.command.empty()) render.base_command = build::base_image_command(desc, *base);
  };
  // In a fleet, a build started before the first build of its agent made its
  // layers writes what needs neither the agent nor the base meanwhile (its
  // text outputs, its service layer: build/made_layers.h), then waits; so the
  // base's blobs are hashed once, by that first build (docs/fleet.md).
  const bool early = !args.text_only && build::fleet_waits() && !desc.service.command.empty();
  if (!args.text_only && !early) take_base();
  if (desc.service.command.empty() && !render.base_command)
    log::warn("service.command is empty: the Dockerfile gets no CMD, so the app is the base image's; "
              "set service.command to be explicit");
  write_text_outputs(desc, staging.path(), render);
  if (!args.text_only) {
    if (early) {
      build::prepare_service_layer(desc, render, staging.path());
      log::verbose("text outputs and service layer written; waiting for the first build of this agent to make its layers");
    }
    build::fleet_wait();
    if (!base) take_base();
    FetchOptions fetch;
    fetch.cache_dir = global.cache_dir;
    fetch.offline = global.offline;
    fetch.locked = global.locked;
    fetch.ca_bundle = global.ca_bundle;
    fetch.refresh = args.refresh;
    fetch.without_deb = layer_in_registry(desc, args, registry_options(global, args.insecure_registries));
    fetch.from_fleet = layer_in_fleet(desc);
    std::vector<FetchedDeb> debs = fetch_all(desc, fetch);
    auto built = build::write_image_outputs(desc, debs, staging.path(), *base, render, global.cache_dir,
                                            {staging.path(), staging.target()});
    // The layers made from the verified .debs: what lets the next build take them from the cache.
    const build::AgentLayerSpec spec = build::agent_layer_spec(desc);
    // With the files of the layer and the package's facts: what lets a build do without the .deb.
    for (auto& d : debs)
      for (const auto& l : built.image.layers)
        if (l.file == build::agent_layer_file(spec, d.arch, desc.service.compression)) {
          const build::AgentFacts& facts = built.agent.at(d.arch);
          d.layer = build::daemon_layer_pin(l.blob, build::source_date_epoch(), desc.service.compression);
          d.layer->files = facts.files;
          d.package = facts.package;
        }
    record_layers(desc, fetch, debs);
    for (const auto& b : built.image.remote_blobs) remote[b.digest] = b.repository;
    image = {{"index", built.report["oci"]["index"]}, {"platforms", built.report["platforms"]}};
    if (built.report.contains("remote_blobs")) image["remote_blobs"] = built.report["remote_blobs"];
  }
  staging.commit();
  log::verbose("renamed the staging directory onto " + staging.target().string());
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(args.out))
    if (e.path().filename() != kOutputMarker) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  std::optional<registry::PushResult> pushed;
  if (args.push) {
    pushed = push_image(desc, args, global, remote);
    // The task definitions name what was pushed, by digest (as ECS then pulls exactly it).
    render.image = pushed->name + "@" + pushed->digest;
    write_ecs_outputs(desc, args.out, render);
  }
  if (global.json) {
    nlohmann::ordered_json out{{"descriptor", args.file}, {"out", args.out}, {"service", desc.service.name},
                               {"tag", desc.service.tag}, {"platforms", desc.service.platforms}, {"files", files}};
    if (!image.is_null()) out["image"] = image;
    if (pushed)
      out["push"] = {{"reference", pushed->reference}, {"name", pushed->name}, {"digest", pushed->digest},
                     {"media_type", pushed->media_type}, {"bytes_uploaded", pushed->bytes_uploaded},
                     {"blobs_uploaded", pushed->blobs_uploaded}, {"blobs_existing", pushed->blobs_existing},
                     {"blobs_mounted", pushed->blobs_mounted}, {"resumed", pushed->resumed + pushed->restarted},
                     {"referrers", pushed->referrers}, {"referrers_tags", pushed->referrers_tags}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  // What a reader wants from a build: how long, where, and which image.
  const std::string secs =
      seconds_text(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  log::info("built " + desc.service.name + " (" + join(desc.service.platforms, ", ") + ") in " + secs + " into " +
            args.out + "/");
  if (!image.is_null())
    log::info("  image  " + args.out + "/oci  " + image["index"]["digest"].get<std::string>() + "  " +
              desc.service.tag);
  for (auto& f : files)
    if (fs::is_directory(fs::path(args.out) / f)) f += "/";
  log::info("  files  " + join(files, " "));
}

}  // namespace

void add_build(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "build", "Build everything for a descriptor into OUT: fetch the daemon .deb, then Dockerfile, "
               "docker-entrypoint.sh, cfg.yaml, ecs-task-definition.json, layers/*.tar.gz, the OCI image "
               "layout oci/, build.json, an SBOM per platform (sbom/<arch>.spdx.json) and provenance.json (docs/supply-chain.md)");
  cmd->footer(
      "OUT is replaced as a whole, only once every output is written, and only when it is new, empty\n"
      "or an earlier xraybake output (it holds build.json or .xraybake-output); never the current\n"
      "directory, $HOME, the descriptor's directory, the cache or a parent of one. An interrupted\n"
      "build (Ctrl-C, SIGTERM) removes its staging directory.\n\n"
      "Several FILEs or DIRs (DIR means DIR/xraybake.yaml) are a fleet: each service is built into\n"
      "OUT/<service.name>/ by its own process (a fork of this one), -j at once, sharing the cache:\n"
      "each agent .deb is downloaded once, and the first service of each agent .deb makes its agent\n"
      "layer while the others wait for it (they may start beside it), then link it instead of making\n"
      "it; a process of the fleet's own syncs OUT once for all the builds ready to commit. Every\n"
      "one is attempted, one line each as it ends (a table at the end on a terminal), --json one\n"
      "array, and the exit status is the worst of theirs.\n\n"
      "Examples:\n"
      "  xraybake build                         # ./xraybake.yaml into ./out\n"
      "  xraybake build services/orders/xraybake.yaml -o build/orders\n"
      "  xraybake build services/* -o build -j 8   # each into build/<service.name>/\n"
      "  xraybake --locked build --push --cache-repo registry.example.com/xraybake-cache\n"
      "                                         # an empty runner: pinned agent layers mounted, no .deb fetched\n"
      "  xraybake --templates my-templates build   # use your own Dockerfile.mustache etc.");
  static BuildArgs args;
  args = BuildArgs{};
  cmd->add_option("FILE", args.files, "The descriptor (default ./xraybake.yaml; DIR means DIR/xraybake.yaml); several: a fleet")
      ->type_name("FILE|DIR...");
  cmd->add_option("-j,--jobs", args.jobs, "A fleet's builds at once (default: one per CPU)")
      ->type_name("N")
      ->check(CLI::PositiveNumber.description(""));
  cmd->add_option("-o,--out", args.out, "Output directory (default ./out)");
  cmd->add_flag("--text-only", args.text_only,
                "Only the text outputs (Dockerfile, docker-entrypoint.sh, ecs-task-definition.json, cfg.yaml): "
                "no fetch, no layers, no OCI image; for reviewing templates offline");
  cmd->add_flag("--refresh", args.refresh,
                "Download the agent .debs again even when cached (still checked against the pins)");
  auto* push = cmd->add_option("--push", args.push_ref,
                  "Also push the image to a registry as REF (default: service.tag), blobs first, then the "
                  "manifests and the index; prints REF@DIGEST. Credentials as docker's (DOCKER_CONFIG, "
                  "credential helpers); write --push=REF when FILE follows")
      ->expected(0, 1)
      ->type_name("REF");
  add_insecure_registry_flag(cmd, args.insecure_registries);
  cmd->add_option("--cache-repo", args.cache_repo,
                  "With --push: a repository of the same registry that may hold the agent layers xraybake.lock "
                  "pins (any image pushed there once). When the cache lacks a pinned .deb and the push target or "
                  "REPO holds its layer, the .deb is neither downloaded nor compressed: the layer is skipped or "
                  "mounted, and OUT/oci lists it without holding it (build.json \"remote_blobs\"; docs/cache.md)")
      ->type_name("REPO");
  cmd->callback([&global, push] {
    args.push = push->count() > 0;
    for (auto& f : args.files) f = descriptor_path(f);
    if (args.files.size() <= 1) {
      if (!args.files.empty()) args.file = args.files.front();
      return run_build(args, global);
    }
    if (!args.push_ref.empty())
      fail_input("--push=" + args.push_ref + " names one image, and this builds " + std::to_string(args.files.size()) +
                     " services",
                 "write --push alone: each service is pushed as its service.tag");
    FleetRequest fleet{args.files, args.out, args.jobs, {}, {}};
    // One session per registry for all the builds: each host pinged once, its
    // credentials (a credential helper) looked up once, here, before the forks;
    // and the templates parsed once.
    fleet.before_builds = [&global](const std::vector<Descriptor>& descs) {
      std::set<std::string> hosts;
      for (const auto& d : descs) {
        if (global.offline) break;  // nothing is asked of a registry
        try {
          if (args.push && !args.text_only) hosts.insert(registry::parse_reference(d.service.tag).registry);
          if (BaseRef b = parse_base(d); !b.oci_layout && !args.text_only)
            hosts.insert(registry::parse_reference(b.reference).registry);
        } catch (const Error&) {
          // that build says what is wrong with its reference
        }
      }
      registry::share_sessions({hosts.begin(), hosts.end()}, registry_options(global, args.insecure_registries));
      RenderOptions render;
      render.templates_dir = global.templates_dir;
      preload_templates(render);  // parsed here, once, rather than by every build
      for (const auto& d : descs)  // and the local bases read (a pulled one is read by the build that pulls it)
        if (!args.text_only) try {
            if (parse_base(d).oci_layout) (void)build::base_image(build::local_base_layout(d), d.service.platforms);
          } catch (const Error&) {
            // that build says what is wrong with its base
          }
    };
    // Each child builds one service as `xraybake --json build FILE -o OUT` with these flags would.
    fleet.build = [&global](const Descriptor& desc, const std::string& file, const std::string& out) -> int {
      BuildArgs one = args;
      one.files = {file};
      one.file = file;
      one.out = out;
      GlobalOptions g = global;
      g.json = true;
      try {
        run_build(one, g, &desc);
        return 0;
      } catch (const Reported& r) {
        return static_cast<int>(r.code);
      } catch (const Error& e) {
        std::cerr << error_text(e);
        std::cout << error_json(e).dump(2) << "\n";
        return static_cast<int>(e.code());
      }
    };
    run_fleet(fleet, global);
  });
}

}  // namespace xb::cli
