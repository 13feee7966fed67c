#include "build/image_builder.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "oci/base_image.h"
#include "build/app_layer.h"
#include "build/base_layout.h"
#include "build/fleet_store.h"
#include "build/layer_cache.h"
#include "build/made_layers.h"
#include "oci/layout.h"
#include "oci/media_types.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/log.h"

#ifndef XRAYBAKE_VERSION
#define XRAYBAKE_VERSION "unknown"
#endif

namespace xb::build {

using namespace xb::oci;  // the OCI library this recipe is made of
namespace {

constexpr const char* kInitPath = "/usr/local/bin/xraybake-init";

std::string arch_of(const std::string& platform) {
  auto slash = platform.find('/');
  std::string rest = slash == std::string::npos ? platform : platform.substr(slash + 1);
  return rest.substr(0, rest.find('/'));
}

void make_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail_runtime("cannot create " + dir.string() + ": " + ec.message());
}

// A file of the .deb kept on disk until the whole package passed its checks.
struct Extracted {
  std::string to;
  uint32_t mode = 0755;
  std::filesystem::path file;
  uint64_t size = 0;
};

// STREAM copied into FILE.
uint64_t save_stream(deb::DaemonStream& s, const std::filesystem::path& file) {
  std::unique_ptr<FILE, decltype(&fclose)> f(fopen(file.c_str(), "wbe"), fclose);
  if (!f) fail_runtime("cannot write " + file.string());
  char buf[64 << 10];
  uint64_t total = 0;
  for (size_t n; (n = s.read(buf, sizeof buf)) > 0; total += n)
    if (fwrite(buf, 1, n, f.get()) != n) fail_runtime("cannot write " + file.string());
  if (fflush(f.get()) != 0) fail_runtime("cannot write " + file.string());
  return total;
}

// The agent's files straight from the .deb into the layer, never whole in memory:
// one file is streamed, several (agent.also) go through files beside the layer.
LayerResult agent_layer(const ImageRequest& req, DebInput& deb, std::string& version) {
  const AgentLayerSpec& agent = req.agent;
  LayerResult out{agent_layer_file(agent, deb.arch, req.compression), {}, {}, {}};
  auto final_path = req.out_dir / out.file;
  auto tmp = final_path;
  tmp += ".partial";
  // No .deb: the layer xraybake.lock pins, left in the registry that holds it.
  if (!deb.remote_repository.empty()) {
    if (!deb.layer || deb.layer->format != daemon_layer_format(req.compression) ||
        deb.layer->source_date_epoch != req.epoch || deb.version.empty())
      fail_runtime("internal: the " + deb.arch + " agent layer in " + deb.remote_repository +
                   " is not pinned for this layer format and SOURCE_DATE_EPOCH");
    out.blob = {deb.layer->digest, deb.layer->diff_id, deb.layer->size};
    out.remote_repository = deb.remote_repository;
    version = deb.version;
    return out;
  }
  const std::string key = agent_layer_key(req, deb);
  // In a fleet: the layer another of its builds made from this very .deb, linked.
  if (!deb.sha256.empty())
    if (auto stored = fleet_store_take(key, final_path)) {
      out.blob = stored->blob;
      version = deb.version = stored->version;
      // What it is, as a lock that pins it would say (the SBOM's files and facts, build_outputs.cpp).
      LayerPin pin = daemon_layer_pin(stored->blob, req.epoch, req.compression);
      pin.files = stored->files;
      deb.layer = pin;
      deb.package = stored->package;
      return out;
    }
  if (deb.path.empty())  // fetch_all left the .deb out for what the store held (FetchOptions::from_fleet)
    fail_runtime("the fleet's copy of the " + deb.arch + " agent layer (" + key + ") could not be linked",
                 "build " + req.title + " on its own, or run the fleet again");
  // Warm builds: the layer a verified build made from this very .deb before
  // (xraybake.lock says which), copied out of the cache.
  LayerCache cache(req.layer_cache);
  if (cache.enabled() && !deb.sha256.empty() && !deb.version.empty() && deb.layer &&
      deb.layer->format == daemon_layer_format(req.compression) && deb.layer->source_date_epoch == req.epoch) {
    if (auto hit = cache.get(key, {deb.layer->digest, deb.layer->diff_id, deb.layer->size}, tmp)) {
      std::filesystem::rename(tmp, final_path);
      out.blob = hit->blob;
      version = deb.version;
      return out;
    }
  }
  deb::ReadOptions opts;
  opts.arch = deb.arch;
  opts.limits = req.limits;
  opts.display_name = deb.url.empty() ? deb.path.string() : deb.url;
  opts.binary_path = agent.binary_from;
  for (const auto& f : agent.also) opts.also.push_back(f.from);
  opts.package = agent.package;
  opts.hint = agent.source_hint;
  bool written = false;
  std::vector<Extracted> extracted;
  struct Cleanup {
    std::vector<Extracted>& files;
    ~Cleanup() {
      for (const auto& f : files) ::unlink(f.file.c_str());
    }
  } cleanup{extracted};
  auto info = deb::read_deb(deb.path, opts, [&](deb::DaemonStream& s) {
    if (agent.also.empty()) {
      LayerEntry e;
      e.path = agent.binary_to;
      e.mode = 0755;  // whatever the package says, the agent must be executable by the service user
      e.size = s.size;
      e.stream = s.read;
      out.blob = write_layer(tmp, {std::move(e)}, req.epoch, req.compression);
      written = true;
      return;
    }
    Extracted x{agent.binary_to, 0755, {}, 0};
    for (const auto& f : agent.also)
      if (f.from == s.path) x = {f.to, f.mode, {}, 0};
    x.file = tmp;
    x.file += "." + std::to_string(extracted.size());
    extracted.push_back(x);
    extracted.back().size = save_stream(s, x.file);
  });
  if (!agent.also.empty()) {
    std::vector<LayerEntry> entries;
    std::vector<std::shared_ptr<FILE>> open;
    for (const auto& x : extracted) {
      std::shared_ptr<FILE> f(fopen(x.file.c_str(), "rbe"), [](FILE* p) { if (p) fclose(p); });
      if (!f) fail_runtime("cannot read " + x.file.string());
      open.push_back(f);
      LayerEntry e;
      e.path = x.to;
      e.mode = x.mode;
      e.size = x.size;
      e.stream = [f](char* buf, size_t cap) { return fread(buf, 1, cap, f.get()); };
      entries.push_back(std::move(e));
    }
    out.blob = write_layer(tmp, std::move(entries), req.epoch, req.compression);
    written = true;
  }
  if (!written) fail_runtime("internal: no agent layer written for " + deb.path.string());
  // Kept only now that the whole package passed every check.
  if (!deb.sha256.empty()) cache.put(key, tmp, {out.blob, {{"daemon_version", info.version}}});
  std::filesystem::rename(tmp, final_path);
  version = info.version;
  return out;
}

LayerResult init_layer(const ImageRequest& req, const std::string& arch) {
  LayerResult out{init_layer_file(arch, req.compression), {}, {}, {}};
  // The same bytes for every service of a fleet: made once.
  const std::string key = "xraybake-init-" + arch + "-" + std::string(compression_info(req.compression).name) + "-" +
                          std::to_string(req.epoch) + "-" + XRAYBAKE_VERSION;
  if (auto stored = fleet_store_take(key, req.out_dir / out.file)) {
    out.blob = stored->blob;
    out.files = stored->files;
    return out;
  }
  auto bin = embedded_file("supervisor/xraybake-init-" + arch);
  if (!bin) fail_input("no xraybake-init for " + arch + " in this xraybake", "use linux/amd64 or linux/arm64");
  LayerEntry e;
  e.path = kInitPath;
  e.mode = 0755;
  e.data = std::string(*bin);
  out.blob = write_layer(req.out_dir / out.file, {std::move(e)}, req.epoch, req.compression);
  if (!fleet_store().empty()) {
    // Read back once for the fleet (the SBOM lists them): its other builds take them with the layer.
    out.files = read_layer_files(req.out_dir / out.file);
    fleet_store_put(key, req.out_dir / out.file, {out.blob, {}, {}, out.files});
  }
  return out;
}

const DebInput& deb_for(const ImageRequest& req, const std::string& arch) {
  for (const auto& d : req.debs)
    if (d.arch == arch) return d;
  fail_runtime("internal: no .deb was fetched for " + arch);
}

std::map<std::string, std::string> labels_for(const ImageRequest& req, const ImageResult& res,
                                              const BasePlatform& base, const DebInput& deb,
                                              const std::string& daemon_version) {
  std::map<std::string, std::string> labels = {
      {"org.opencontainers.image.created", res.created},
      {"org.opencontainers.image.title", req.title},
      {"org.opencontainers.image.version", res.ref_name},
      {"org.opencontainers.image.base.name", req.base_name},
      {"org.opencontainers.image.base.digest", base.manifest_digest},
      {"io.xraybake.version", XRAYBAKE_VERSION},
      {"io.xraybake." + req.agent.kind + ".version", daemon_version},
      {"io.xraybake." + req.agent.kind + ".deb.sha256", deb.sha256},
      {"io.xraybake." + req.agent.kind + ".deb.url", deb.url},
  };
  // The service's own labels win, e.g. to set org.opencontainers.image.source.
  for (const auto& [k, v] : req.config.labels) labels[k] = v;
  return labels;
}

}  // namespace

std::string agent_layer_key(const AgentLayerSpec& agent, const std::string& deb_sha256, const std::string& arch,
                            int64_t epoch, oci::Compression c) {
  std::string files_key = agent.binary_from;
  for (const auto& f : agent.also) files_key += "\n" + f.from + " " + f.to;
  return daemon_layer_key(deb_sha256, arch, files_key, epoch, c);
}
std::string agent_layer_key(const ImageRequest& req, const DebInput& deb) {
  return agent_layer_key(req.agent, deb.sha256, deb.arch, req.epoch, req.compression);
}

std::string layer_file(std::string_view stem, oci::Compression c) {
  return "layers/" + std::string(stem) + std::string(compression_info(c).extension);
}
std::string agent_layer_file(const AgentLayerSpec& agent, const std::string& arch, oci::Compression c) {
  return layer_file(agent.kind + "-" + arch, c);
}
std::string init_layer_file(const std::string& arch, oci::Compression c) { return layer_file("xraybake-init-" + arch, c); }

std::string tag_of(const std::string& image_name) {
  auto at = image_name.find('@');
  std::string name = image_name.substr(0, at);
  auto colon = name.rfind(':');
  if (colon == std::string::npos || name.find('/', colon) != std::string::npos) return "latest";
  return name.substr(colon + 1);
}

ImageResult build_image(const ImageRequest& req) {
  ImageResult res;
  res.created = rfc3339(req.epoch);
  res.ref_name = tag_of(req.image_name);
  const BaseImage& base = base_image({req.base_layout, req.base_tag}, req.platforms);

  make_dir(req.out_dir / "layers");
  LayoutWriter layout(req.out_dir / "oci");
  // The service layer is the same for every platform.
  const std::string service_file = layer_file("service", req.compression);
  LayerResult service{service_file, {}, {}, {}};
  const MadeLayer* made = made_layer(made_layer_key(req.service_files, req.epoch, req.compression));
  if (made && made->file == req.out_dir / service_file) {
    // Written there ahead from these very entries (made_layers.h), while this build waited for its agent's layers.
    service.blob = made->blob;
    service.files = made->files;
    log::verbose("service layer " + made->blob.digest + ": written ahead from these very files");
  } else {
    service.blob = write_layer(req.out_dir / service_file, req.service_files, req.epoch, req.compression);
  }
  // So is the app's, written once (its files are read once), last: it changes most often.
  std::optional<LayerResult> app;
  if (!req.app_files.empty()) {
    const std::string app_file = layer_file("app", req.compression);
    app = LayerResult{app_file, write_layer(req.out_dir / app_file, req.app_files, req.epoch, req.compression), {}, {}};
  }

  nlohmann::json index_entries = nlohmann::json::array();
  for (size_t i = 0; i < req.platforms.size(); ++i) {
    const BasePlatform& bp = base.platforms[i];
    std::string arch = arch_of(req.platforms[i]);
    const DebInput& deb = deb_for(req, arch);
    PlatformResult pr;
    pr.platform = req.platforms[i];
    pr.deb = deb;
    pr.base_manifest_digest = bp.manifest_digest;
    LayerResult daemon = agent_layer(req, pr.deb, pr.daemon_version);
    LayerResult init = init_layer(req, arch);
    res.layers.push_back(daemon);
    res.layers.push_back(init);

    // Base layers by digest, as they are; then ours.
    for (const auto& l : bp.layers) {
      std::string digest = l.value("digest", "");
      layout.put_file(blob_path(base.dir, digest), digest, l.value("size", uint64_t{0}));
      nlohmann::json d = l;
      d["mediaType"] = oci_layer_type(l.value("mediaType", ""));
      pr.layers.push_back(d);
    }
    std::vector<HistoryLayer> history;
    std::vector<std::pair<const LayerResult*, std::string>> added = {
        {&daemon, "xraybake: " + req.agent.binary_to + " " + pr.daemon_version + " from " + deb.url + " (sha256 " + deb.sha256 + ")"},
        {&init, std::string("xraybake: ") + kInitPath + " " + XRAYBAKE_VERSION + " (" + arch + ")"},
        {&service, "xraybake: service files for " + req.title}};
    if (app) added.emplace_back(&*app, "xraybake: the app of " + req.title + " (service.files)");
    for (const auto& [layer, created_by] : added) {
      const std::string media_type(compression_info(req.compression).media_type);
      if (layer->remote_repository.empty())
        layout.put_file(req.out_dir / layer->file, layer->blob.digest, layer->blob.size);
      else
        res.remote_blobs.push_back({layer->blob.digest, layer->blob.size, media_type, layer->remote_repository, layer->file});
      pr.layers.push_back(BlobRef{media_type, layer->blob.digest, layer->blob.size}.descriptor());
      pr.added.push_back(layer->file);
      history.push_back({layer->blob.diff_id, created_by});
    }

    ConfigChanges changes = req.config;
    changes.labels = labels_for(req, res, bp, deb, pr.daemon_version);
    nlohmann::json config = updated_config(bp.config, changes, history, res.created);
    pr.config = layout.put_json(config, std::string(kConfig));
    nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", kManifest},
        {"config", pr.config.descriptor()},
        {"layers", pr.layers},
        {"annotations",
         {{"org.opencontainers.image.base.name", req.base_name},
          {"org.opencontainers.image.base.digest", bp.manifest_digest},
          {"org.opencontainers.image.created", res.created}}}};
    pr.manifest = layout.put_json(manifest, std::string(kManifest));
    auto entry = pr.manifest.descriptor();
    entry["platform"] = bp.platform_json;
    index_entries.push_back(entry);
    res.platforms.push_back(std::move(pr));
  }
  res.layers.push_back(service);
  if (app) res.layers.push_back(*app);

  nlohmann::json index = {{"schemaVersion", 2}, {"mediaType", kIndex}, {"manifests", index_entries}};
  res.index = layout.put_json(index, std::string(kIndex));
  auto top = res.index.descriptor();
  // As BuildKit annotates it: the tag, and the whole name for containerd.
  top["annotations"] = {{kRefNameAnnotation, res.ref_name},
                        {"io.containerd.image.name", req.image_name}};
  layout.write_index(top);
  return res;
}

nlohmann::json build_report(const ImageRequest& req, const ImageResult& res) {
  auto blob = [](const BlobRef& b) { return nlohmann::json{{"digest", b.digest}, {"size", b.size}}; };
  nlohmann::json platforms = nlohmann::json::array();
  for (const auto& p : res.platforms) {
    nlohmann::json& entry = platforms.emplace_back();
    entry = {{"platform", p.platform},
                         {"manifest", blob(p.manifest)},
                         {"config", blob(p.config)},
                         {"layers", p.layers},
                         {"added_layers", p.added},
                         {"daemon",
                          {{"version", p.daemon_version},
                           {"url", p.deb.url},
                           {"sha256", p.deb.sha256},
                           {"size", p.deb.size}}}};
    // Only when the agent layer was not made here: a full build's build.json is as it was.
    if (!p.deb.remote_repository.empty())
      entry["agent_layer"] = {{"from", "registry"}, {"repository", p.deb.remote_repository}};
  }
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& l : res.layers)
    if (l.remote_repository.empty())
      layers[l.file] = {{"digest", l.blob.digest}, {"diff_id", l.blob.diff_id}, {"size", l.blob.size}};
  nlohmann::json remote = nlohmann::json::array();
  for (const auto& b : res.remote_blobs)
    remote.push_back({{"digest", b.digest}, {"size", b.size}, {"mediaType", b.media_type},
                      {"repository", b.repository}, {"file", b.file}});
  nlohmann::json report = {{"xraybake_version", XRAYBAKE_VERSION},
          {"service", req.title},
          {"image", req.image_name},
          {"tag", res.ref_name},
          {"created", res.created},
          {"source_date_epoch", req.epoch},
          {"base", {{"name", req.base_name}, {"layout", req.base_layout.string()}, {"tag", req.base_tag}}},
          {"oci", {{"layout", "oci"}, {"index", blob(res.index)}}},
          {"platforms", platforms},
          {"layers", layers}};
  if (!remote.empty()) report["remote_blobs"] = remote;
  return report;
}

}  // namespace xb::build
