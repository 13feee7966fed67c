#include "registry/pull.h"

#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/layout.h"
#include "registry/blob_store.h"
#include "registry/media_types.h"
#include "registry/reference.h"
#include "registry/remote_source.h"
#include "registry/session.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::registry {

namespace {

struct Platform {
  std::string os, arch, variant;
  std::string str() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }
};

Platform parse_platform(const std::string& p) {
  Platform out;
  auto a = p.find('/');
  out.os = p.substr(0, a);
  if (a != std::string::npos) {
    auto b = p.find('/', a + 1);
    out.arch = p.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) out.variant = p.substr(b + 1);
  }
  return out;
}

bool platform_matches(const nlohmann::json& p, const Platform& want) {
  if (!p.is_object() || p.value("os", "") != want.os || p.value("architecture", "") != want.arch) return false;
  std::string v = p.value("variant", "");
  if (!want.variant.empty()) return v == want.variant;
  // linux/arm64 means v8 (or no variant), as docker matches it.
  return want.arch != "arm64" || v.empty() || v == "v8";
}

class Puller {
 public:
  Puller(Reference ref, const RegistryOptions& options)
      : ref_(std::move(ref)), options_(options), session_(open_session(ref_.registry, options)), store_(options.cache_dir),
        locations_(options.cache_dir) {
    scopes_ = {"repository:" + ref_.repository + ":pull"};
  }

  // The document and its media type, verified against DIGEST when given.
  // SIZE (what the index declares; < 0: unknown) bounds the body, else kManifestLimit.
  std::pair<std::string, std::string> get_manifest(const std::string& identifier, const std::string& digest,
                                                   int64_t size = -1) {
    if (!digest.empty() && store_.has(digest)) {
      std::string body = read_file(store_.path(digest));
      if (oci::digest_of(body) != digest) {  // planted or damaged: fetch it again
        log::warn("the cached manifest " + store_.path(digest).string() + " does not match its digest; fetching it again");
        body.clear();
      }
      nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
      if (j.is_object() && j.contains("mediaType")) return {body, j["mediaType"]};
    }
    oci::Document d = registry::get_manifest(*session_, ref_, scopes_, identifier, digest, size);
    if (!media::is_index(d.media_type) && !media::is_manifest(d.media_type))
      fail_runtime(ref_.str() + " has an unsupported manifest type \"" + d.media_type + "\"",
                   "only OCI and Docker schema 2 images can be used as a base");
    store_.put_bytes(d.digest, d.body, session_->url("/v2/" + ref_.repository + "/manifests/" + identifier));
    return {d.body, d.media_type};
  }

  void get_blob(const std::string& digest, int64_t size) {
    if (store_.has(digest)) return;
    if (options_.offline)
      fail_runtime("blob " + digest + " of " + ref_.str() + " is not in the cache and --offline forbids the network",
                   "run once without --offline");
    std::string url = session_->url("/v2/" + ref_.repository + "/blobs/" + digest);
    // Retries, redirects to storage and resuming a broken transfer are the HTTP layer's.
    store_.put(digest, size, url, [&](const BlobSink& sink) {
      http::Request get;
      get.url = url;
      get.follow_redirects = true;
      get.sink = sink.write;
      get.rewind = sink.rewind;
      if (size >= 0) {
        get.max_body = std::max<uint64_t>(1, static_cast<uint64_t>(size));
        get.limit_what = "the " + std::to_string(size) + " bytes its manifest declares";
      }
      http::Response r = session_->send(get, scopes_);
      if (r.status != 200) fail_runtime("GET " + url + " failed: " + registry_error_text(r));
    });
    bytes_ += static_cast<uint64_t>(size);
    locations_.add(ref_.registry, ref_.repository, digest);
  }

  PullResult run(const std::vector<std::string>& platforms) {
    PullResult result;
    result.tag = ref_.tag.empty() ? "pinned" : ref_.tag;
    result.layout_dir = fs::path(options_.cache_dir) / "registry" / "images" / ref_.registry / ref_.repository /
                        (ref_.tag.empty() ? ref_.digest.substr(7) : ref_.tag);
    if (options_.offline) {
      if (!fs::exists(result.layout_dir / "index.json"))
        fail_runtime(ref_.str() + " was never pulled into the cache and --offline forbids the network",
                     "run once without --offline");
      nlohmann::json root = oci::find_tagged(result.layout_dir, result.tag);
      result.digest = root.at("digest");
      result.media_type = root.at("mediaType");
      return result;
    }
    log::info("pulling " + ref_.str());
    auto [body, type] = get_manifest(ref_.identifier(), ref_.digest);
    result.digest = oci::digest_of(body);
    result.media_type = type;
    std::vector<std::string> blobs{result.digest};  // every blob the layout holds

    struct Wanted {
      std::string digest, platform;  // the platform asked for
      int64_t size = -1;             // as the index declares it
    };
    std::vector<Wanted> manifests;
    if (media::is_index(type)) {
      nlohmann::json index = nlohmann::json::parse(body);
      const nlohmann::json entries = index.value("manifests", nlohmann::json::array());
      for (const auto& p : platforms) {
        Platform want = parse_platform(p);
        const nlohmann::json* found = nullptr;
        std::string available;
        for (const auto& m : entries) {
          if (!m.contains("platform")) continue;
          available += (available.empty() ? "" : ", ") + parse_platform_of(m["platform"]);
          if (!found && platform_matches(m["platform"], want)) found = &m;
        }
        if (!found)
          fail_runtime(ref_.str() + " has no image for " + p + " (it has: " + (available.empty() ? "none" : available) + ")",
                       "choose a base that supports every platform in service.platforms");
        manifests.push_back({found->at("digest"), p, found->value("size", int64_t{-1})});
      }
    } else {
      manifests.push_back({result.digest, platforms.empty() ? "" : platforms.front(), static_cast<int64_t>(body.size())});
      if (platforms.size() > 1)
        fail_runtime(ref_.str() + " is a single-platform image, but service.platforms asks for several",
                     "use a multi-platform base (an index) or one platform");
    }

    for (const auto& [digest, platform, msize] : manifests) {
      auto [mbody, mtype] = get_manifest(digest, digest, msize);
      if (!media::is_manifest(mtype)) fail_runtime(ref_.str() + ": " + digest + " is not an image manifest");
      nlohmann::json m = nlohmann::json::parse(mbody);
      if (digest != result.digest) blobs.push_back(digest);
      const auto& config = m.at("config");
      get_blob(config.at("digest"), config.at("size"));
      blobs.push_back(config.at("digest"));
      if (!platform.empty()) check_config_platform(config.at("digest"), platform);
      for (const auto& layer : m.value("layers", nlohmann::json::array())) {
        get_blob(layer.at("digest"), layer.at("size"));
        blobs.push_back(layer.at("digest"));
      }
    }
    result.bytes_downloaded = bytes_;
    locations_.save();

    // The layout: hard links into the blob store, then index.json last.
    fs::create_directories(result.layout_dir / "blobs" / "sha256");
    for (const auto& d : blobs) link_or_copy(store_.path(d), oci::blob_path(result.layout_dir, d));
    nlohmann::json desc = {{"mediaType", type}, {"digest", result.digest}, {"size", body.size()}};
    oci::write_layout_index(result.layout_dir, desc, result.tag);
    log::verbose("pulled " + ref_.str() + " (" + result.digest + ") into " + result.layout_dir.string());
    return result;
  }

 private:
  static std::string parse_platform_of(const nlohmann::json& p) {
    std::string s = p.value("os", "?") + "/" + p.value("architecture", "?");
    if (p.contains("variant")) s += "/" + p.value("variant", "");
    return s;
  }

  void check_config_platform(const std::string& config_digest, const std::string& platform) {
    nlohmann::json c = nlohmann::json::parse(read_file(store_.path(config_digest)), nullptr, false);
    if (!c.is_object() || !c.contains("architecture")) return;
    Platform want = parse_platform(platform);
    if (c.value("architecture", "") != want.arch || c.value("os", want.os) != want.os)
      fail_runtime(ref_.str() + " is a " + c.value("os", "?") + "/" + c.value("architecture", "?") + " image, not " + platform,
                   "choose a base built for " + platform);
  }

  Reference ref_;
  RegistryOptions options_;
  std::shared_ptr<Session> session_;
  BlobStore store_;
  BlobLocations locations_;
  std::vector<std::string> scopes_;
  uint64_t bytes_ = 0;
};

}  // namespace

PullResult pull(const std::string& ref, const std::vector<std::string>& platforms, const RegistryOptions& options) {
  Puller puller(parse_reference(ref), options);
  return puller.run(platforms);
}

std::string resolve_base(const std::string& base, const std::vector<std::string>& platforms,
                         const RegistryOptions& options) {
  if (oci::is_layout_reference(base)) return base;
  return pull(base, platforms, options).oci_reference();
}

}  // namespace xb::registry
