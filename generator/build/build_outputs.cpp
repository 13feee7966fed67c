#include "build/build_outputs.h"

#include <cerrno>
#include <cstdlib>

#include "agents/agent.h"
#include "build/app_layer.h"
#include "build/base_layout.h"
#include "build/fleet_store.h"
#include "build/made_layers.h"
#include "deb/deb_reader.h"
#include "descriptor/problems.h"
#include "oci/base_image.h"
#include "render/service_files.h"
#include "supply/supply_chain.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::build {

using namespace xb::oci;  // the OCI library this recipe is made of

BaseLayout local_base_layout(const Descriptor& desc) {
  BaseRef ref = parse_base(desc);
  if (!ref.oci_layout)
    fail_input(desc.path + ": service.base '" + desc.service.base + "' is a registry reference",
               "registry bases are pulled by the registry module; use oci:DIR[:TAG] for a local OCI layout");
  return {ref.dir, ref.tag};
}

std::vector<std::string> base_image_command(const Descriptor& desc, const BaseLayout& base) {
  std::vector<std::string> first{desc.service.platforms.empty() ? "linux/amd64" : desc.service.platforms.front()};
  const oci::BaseImage& image = base_image(base, first);
  return base_command(image.platforms.front().config);
}

int64_t source_date_epoch() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return 0;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v, &end, 10);
  if (errno || *end || n < 0)
    fail_input(std::string("SOURCE_DATE_EPOCH='") + v + "' is not a number of seconds since 1970",
               "set it to e.g. $(git log -1 --format=%ct), or unset it");
  return n;
}

// The rendered config checked against what each .deb ships (the CloudWatch
// agent's schema), every problem at once, before anything is written.
static void check_against_packages(const Descriptor& desc, const agents::Agent& agent,
                                   const std::vector<FetchedDeb>& debs, const std::string& hint) {
  const auto wanted = agent.package_checks();
  if (wanted.empty()) return;
  const auto binary = agent.layer_files().front().from;
  Problems p(desc.path);
  for (const auto& d : debs) {
    if (!d.remote_repository.empty())  // FetchOptions::without_deb is never asked for such an agent
      fail_runtime("internal: the " + d.arch + " " + std::string(agent.package_name()) +
                   " .deb is needed to check the configuration against it, and it was not fetched");
    deb::ReadOptions opts;
    opts.arch = d.arch;
    opts.display_name = d.url;
    opts.binary_path = binary;
    opts.also = wanted;
    opts.package = std::string(agent.package_name());
    opts.hint = hint;
    std::map<std::string, std::string> files;
    deb::read_deb(d.path, opts, [&](deb::DaemonStream& s) {
      constexpr uint64_t kLimit = 16 << 20;
      char buf[64 << 10];
      std::string& into = files[s.path];
      const bool keep = s.path != binary;
      for (size_t n; (n = s.read(buf, sizeof buf)) > 0;) {
        if (!keep) continue;
        if (into.size() + n > kLimit)
          fail_input(d.url + ": /" + s.path + " is over 16 MiB", hint + ": the package does not look like " +
                                                                     std::string(agent.package_name()));
        into.append(buf, n);
      }
    });
    agent.check_against_package(p, desc, files, d.url);
  }
  p.raise_if_any();
}

static std::vector<LayerEntry> service_entries(const Descriptor& desc, const RenderOptions& options) {
  std::vector<LayerEntry> out;
  for (auto& f : service_layer_files(desc, options)) {
    LayerEntry e;
    e.path = f.path;
    e.type = f.directory ? LayerEntry::Type::directory : LayerEntry::Type::file;
    e.mode = f.mode;
    e.uid = f.uid;
    e.gid = f.gid;
    e.data = std::move(f.content);
    out.push_back(std::move(e));
  }
  return out;
}

static std::vector<supply::LayerFileInfo> sbom_files(const std::vector<PinnedFile>& files) {
  std::vector<supply::LayerFileInfo> out;
  for (const auto& f : files) out.push_back({f.path, f.size, f.sha256, f.sha1});
  return out;
}

// The agent's package and layer files for the SBOM and xraybake.lock: what
// the lock recorded when a build read them from the .deb and the layer, for
// a layer left in a registry, or for the very layer the lock pins (a warm
// build: the cached layer was checked against that digest, so its files are
// the recorded ones, and inflating 16 MB to hash them again was most of a
// warm build); else read from the .deb and the layer.
static AgentFacts agent_facts(const ImageRequest& req, const ImageResult& res, const PlatformResult& p) {
  AgentFacts facts;
  const DebInput& deb = p.deb;
  if (!deb.remote_repository.empty()) {
    if (!deb.package || !deb.layer) fail_runtime("internal: no package facts or layer files pinned for " + deb.arch);
    return {*deb.package, deb.version, deb.layer->files};
  }
  const std::string file = agent_layer_file(req.agent, deb.arch, req.compression);
  if (deb.package && deb.layer && !deb.layer->files.empty() && !deb.version.empty())
    for (const auto& l : res.layers)
      if (l.file == file && l.blob.digest == deb.layer->digest) return {*deb.package, deb.version, deb.layer->files};
  supply::DebPackage pkg = supply::read_deb_package(deb.path, deb.url, deb.sha256, deb.size);
  facts.package = {pkg.name, pkg.maintainer, pkg.vendor, pkg.homepage, pkg.summary, pkg.license};
  facts.version = pkg.version;
  facts.files = read_layer_files(req.out_dir / file);
  return facts;
}

// What the SBOM and the provenance are made from (supply/ knows nothing of build/).
static supply::SupplyInput supply_input(const Descriptor& desc, const ImageRequest& req, const ImageResult& res,
                                        const std::map<std::string, AgentFacts>& agent) {
  supply::SupplyInput in;
  in.out_dir = req.out_dir;
  in.image_name = req.image_name;
  in.base_name = req.base_name;
  in.descriptor_path = desc.path;
  in.agent_kind = req.agent.kind;
  in.created = res.created;
  in.source_date_epoch = req.epoch;
  in.index_digest = res.index.digest;
  for (const PlatformResult& p : res.platforms) {
    supply::SupplyPlatform sp;
    sp.platform = p.platform;
    sp.manifest = p.manifest.descriptor();
    sp.base_digest = p.base_manifest_digest;
    const std::string arch = p.deb.arch;
    for (const auto& file : p.added) {
      using Role = supply::SbomLayer::Role;
      Role role = file == agent_layer_file(req.agent, arch, req.compression) ? Role::agent
                  : file == init_layer_file(arch, req.compression)          ? Role::supervisor
                  : file == layer_file("app", req.compression)              ? Role::app
                                                                            : Role::service;
      std::string digest;
      for (const auto& l : res.layers)
        if (l.file == file) digest = l.blob.digest;
      sp.layers.push_back({role, file, digest, std::nullopt});
      if (role == Role::agent) sp.layers.back().files = sbom_files(agent.at(arch).files);
      for (const auto& l : res.layers)  // a layer already read back (the supervisor's, in a fleet)
        if (l.file == file && role != Role::agent && !l.files.empty()) sp.layers.back().files = sbom_files(l.files);
    }
    sp.deb = p.deb.path;
    sp.deb_url = p.deb.url;
    sp.deb_sha256 = p.deb.sha256;
    sp.deb_size = p.deb.size;
    const AgentFacts& a = agent.at(arch);
    const PackageFacts& f = a.package;
    sp.agent = supply::DebPackage{f.name,    a.version, f.maintainer, f.vendor,     f.homepage,
                                  f.summary, f.license, p.deb.url,    p.deb.sha256, p.deb.size};
    in.platforms.push_back(std::move(sp));
  }
  return in;
}

void prepare_service_layer(const Descriptor& desc, const RenderOptions& options, const std::filesystem::path& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir / "layers", ec);
  if (ec) fail_runtime("cannot create " + (out_dir / "layers").string() + ": " + ec.message());
  make_layer_ahead(service_entries(desc, options), source_date_epoch(), desc.service.compression,
                   out_dir / layer_file("service", desc.service.compression));
}

AgentLayerSpec agent_layer_spec(const Descriptor& desc) {
  const agents::Agent& agent = agents::agent_for(desc);
  const auto files = agent.layer_files();
  if (files.empty()) fail_runtime("internal: the " + std::string(agent.kind()) + " layer takes no file of its .deb");
  const agents::Package pkg = agent.package(desc);
  AgentLayerSpec spec{std::string(agent.kind()), std::string(agent.package_name()), files[0].from, files[0].to,
                      agents::source_hint(pkg), {}};
  for (size_t i = 1; i < files.size(); ++i) spec.also.push_back({files[i].from, files[i].to, files[i].mode});
  return spec;
}

BuildOutputs write_image_outputs(const Descriptor& desc, const std::vector<FetchedDeb>& debs,
                                 const std::filesystem::path& out_dir, const BaseLayout& base,
                                 const RenderOptions& options, const std::filesystem::path& cache_dir,
                                 const std::vector<std::filesystem::path>& app_skip) {
  const ServiceSpec& s = desc.service;
  ImageRequest req;
  req.out_dir = out_dir;
  req.base_layout = base.dir;
  req.base_tag = base.tag;
  req.base_name = s.base;
  req.image_name = s.tag.empty() ? s.name + ":latest" : s.tag;
  req.title = s.name;
  req.platforms = s.platforms;
  for (const auto& d : debs)
    req.debs.push_back({d.arch, d.url, d.sha256, d.size, d.path, d.version, d.layer, d.package, d.remote_repository});
  const agents::Agent& agent = agents::agent_for(desc);
  req.agent = agent_layer_spec(desc);
  check_against_packages(desc, agent, debs, req.agent.source_hint);
  req.service_files = service_entries(desc, options);
  if (!s.files.empty()) {
    AppLayerInput app;
    app.skip = app_skip;
    app.reserved = {req.agent.binary_to, std::string(kInitPath)};
    for (const auto& f : req.agent.also) app.reserved.push_back(f.to);
    for (const auto& e : req.service_files)  // an ordinary root directory (/etc, /usr) may be shared
      if (e.type != LayerEntry::Type::directory || e.uid != 0 || e.gid != 0 || e.mode != 0755)
        app.reserved.push_back(e.path.starts_with("/") ? e.path : "/" + e.path);
    req.app_files = app_layer_entries(desc, app);
  }
  req.config.entrypoint = image_entrypoint();
  if (!s.command.empty()) req.config.cmd = s.command;  // else each platform's base Entrypoint + Cmd
  req.config.user = user_string(s);
  req.config.env = image_env(desc);
  req.config.workdir = s.workdir;
  req.config.ports = s.ports;
  req.config.labels = s.labels;
  req.config.stop_signal = "SIGTERM";  // as the Dockerfile's STOPSIGNAL: the supervisor's cue to stop the app first
  req.epoch = source_date_epoch();
  req.layer_cache = cache_dir;
  req.compression = desc.service.compression;

  BuildOutputs out;
  out.image = build_image(req);
  out.report = build_report(req, out.image);
  for (const auto& p : out.image.platforms) out.agent[p.deb.arch] = agent_facts(req, out.image, p);
  // In a fleet, for its other builds: the agent layers made (or taken) here, with what they are.
  if (!fleet_store().empty())
    for (const auto& p : out.image.platforms) {
      const std::string file = agent_layer_file(req.agent, p.deb.arch, req.compression);
      const AgentFacts& f = out.agent.at(p.deb.arch);
      for (const auto& l : out.image.layers)
        if (l.file == file && l.remote_repository.empty() && !p.deb.sha256.empty())
          fleet_store_put(agent_layer_key(req, p.deb), out_dir / file,
                          {l.blob, f.version, f.package, f.files, p.deb.size});
    }
  out.report.update(write_supply_chain(supply_input(desc, req, out.image, out.agent)));
  write_file(out_dir / "build.json", out.report.dump(2) + "\n");
  return out;
}

}  // namespace xb::build
