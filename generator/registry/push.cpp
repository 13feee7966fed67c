#include "registry/push.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "http/backoff.h"

#include "oci/artifact_writer.h"
#include "oci/digest.h"
#include "oci/layout.h"
#include "registry/blob_store.h"
#include "registry/media_types.h"
#include "registry/reference.h"
#include "registry/session.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"

namespace xb::registry {

namespace {

struct Blob {
  std::string digest;
  uint64_t size = 0;
};

// Everything one push needs in one place.
class Pusher {
 public:
  Pusher(fs::path layout, Reference ref, const RegistryOptions& options, const RemoteBlobs& remote)
      : layout_(std::move(layout)),
        ref_(std::move(ref)),
        options_(options),
        remote_(remote),
        session_(open_session(ref_.registry, options)),
        locations_(options.cache_dir) {
    scopes_ = {"repository:" + ref_.repository + ":pull,push"};
    bytes_before_ = session_->bytes_sent();  // a shared session may have sent some for another purpose
  }

  PushResult run(const nlohmann::json& root) {
    std::vector<nlohmann::json> manifests;  // children first, root last
    std::vector<Blob> blobs;
    collect(root, manifests, blobs);
    for (const auto& b : blobs) push_blob(b);
    for (const auto& m : manifests) {
      bool is_root = &m == &manifests.back();
      put_manifest(m, is_root ? ref_.identifier() : m.at("digest").get<std::string>());
    }
    // After the image, so that a registry finds each subject there.
    const nlohmann::json layout_index = oci::read_index(layout_);
    for (const auto& m : manifests) push_referrers(layout_index, m.at("digest"));
    result_.reference = ref_.str();
    result_.name = ref_.name();
    result_.digest = root.at("digest");
    result_.media_type = root.at("mediaType");
    result_.size = root.at("size");
    result_.bytes_uploaded = session_->bytes_sent() - bytes_before_;
    locations_.save();
    return result_;
  }

 private:
  std::string read_blob(const std::string& digest) const { return read_file(oci::blob_path(layout_, digest)); }

  void collect(const nlohmann::json& desc, std::vector<nlohmann::json>& manifests, std::vector<Blob>& blobs) {
    std::string type = desc.value("mediaType", "");
    std::string digest = desc.at("digest");
    nlohmann::json doc = nlohmann::json::parse(read_blob(digest), nullptr, false);
    if (!doc.is_object()) fail_input(oci::blob_path(layout_, digest).string() + " is not JSON");
    if (media::is_index(type)) {
      for (const auto& child : doc.value("manifests", nlohmann::json::array())) collect(child, manifests, blobs);
    } else if (media::is_manifest(type)) {
      auto add = [&](const nlohmann::json& d) {
        std::string dg = d.at("digest");
        if (seen_.insert(dg).second) blobs.push_back({dg, d.at("size").get<uint64_t>()});
      };
      add(doc.at("config"));
      for (const auto& layer : doc.value("layers", nlohmann::json::array())) add(layer);
    } else {
      fail_input("cannot push " + digest + " from " + layout_.string() + ": unsupported media type \"" + type + "\"");
    }
    manifests.push_back(desc);
  }

  std::string blob_path(const std::string& digest) const { return "/v2/" + ref_.repository + "/blobs/" + digest; }
  std::string uploads_path() const { return "/v2/" + ref_.repository + "/blobs/uploads/"; }

  bool blob_exists(const std::string& digest) {
    http::Request head;
    head.method = "HEAD";
    head.url = blob_path(digest);
    http::Response r = session_->send(head, scopes_);
    if (r.status != 200 && r.status != 404) fail_runtime("HEAD " + session_->url(head.url) + ": " + registry_error_text(r));
    return r.status == 200;
  }

  void push_blob(const Blob& blob) {
    if (blob_exists(blob.digest)) {
      log::verbose("blob " + blob.digest + " already in " + ref_.name());
      ++result_.blobs_existing;
      locations_.add(ref_.registry, ref_.repository, blob.digest);
      return;
    }

    if (auto r = remote_.find(blob.digest); r != remote_.end()) return mount_remote(blob, r->second);
    std::string location;
    for (const auto& from : locations_.repositories(ref_.registry, blob.digest)) {
      if (from == ref_.repository) continue;
      std::string why;
      if (mount(blob, from, location, why)) return;
      if (!location.empty()) break;
    }
    upload(blob, location);
    ++result_.blobs_uploaded;
    locations_.add(ref_.registry, ref_.repository, blob.digest);
  }

  // Mounts BLOB from the repository FROM of this registry: true when done;
  // else LOCATION is the upload the registry opened instead (or empty) and WHY says why.
  bool mount(const Blob& blob, const std::string& from, std::string& location, std::string& why) {
    http::Request mount;
    mount.method = "POST";
    mount.url = uploads_path() + "?mount=" + blob.digest + "&from=" + from;
    mount.idempotent = true;  // a second mount or upload session does no harm
    std::vector<std::string> scopes = scopes_;
    scopes.push_back("repository:" + from + ":pull");
    http::Response m;
    try {
      m = session_->send(mount, scopes);
    } catch (const Error& e) {
      // No pull access to the source (a token without that scope): upload instead.
      why = e.what();
      log::verbose(std::string("mounting ") + blob.digest + " from " + from + " failed: " + e.what());
      return false;
    }
    if (m.status == 201) {
      log::verbose("blob " + blob.digest + " mounted from " + from);
      ++result_.blobs_mounted;
      locations_.add(ref_.registry, ref_.repository, blob.digest);
      return true;
    }
    if (m.status == 202) {  // the registry declined the mount and opened an upload instead
      location = m.location();
      why = "the registry opened an upload instead of mounting it";
    } else {
      why = registry_error_text(m);
    }
    return false;
  }

  // A blob the layout does not hold (RemoteBlobs), not in the target yet: mounted from FROM_TEXT, never uploaded.
  void mount_remote(const Blob& blob, const std::string& from_text) {
    const Reference from = parse_reference(from_text);
    const std::string hint = "the layout does not hold this blob (it was left in " + from_text +
                             "); build again without --cache-repo, or with a cache repository on " + ref_.registry;
    if (from.registry != ref_.registry)
      fail_runtime("cannot push " + blob.digest + " to " + ref_.name() + ": it is in " + from_text +
                       ", on another registry, and a blob is mounted only within one registry",
                   hint);
    std::string location, why;
    if (mount(blob, from.repository, location, why)) return;
    if (!location.empty()) {  // close the upload session the registry opened: nothing to send
      http::Request cancel;
      cancel.method = "DELETE";
      cancel.url = location;
      try {
        session_->send(cancel, scopes_);
      } catch (const Error&) {
      }
    }
    fail_runtime("cannot push " + blob.digest + " to " + ref_.name() + ": mounting it from " + from_text +
                     " failed: " + why,
                 hint);
  }

  std::string start_upload() {
    http::Request post;
    post.method = "POST";
    post.url = uploads_path();
    post.idempotent = true;  // an upload session opened twice is only an abandoned one
    http::Response r = session_->send(post, scopes_);
    if (r.status != 202 || r.location().empty())
      fail_runtime("starting an upload to " + ref_.name() + " failed: " + registry_error_text(r));
    return r.location();
  }

  // Where the registry says an upload stands: the next byte it expects, or
  // nullopt when it lost the upload (start over).
  std::optional<uint64_t> upload_status(std::string& location) {
    http::Request get;
    get.url = location;
    http::Response r = session_->send(get, scopes_);
    if (r.status != 204 && r.status != 202) {
      log::verbose("upload status: " + registry_error_text(r));
      return std::nullopt;
    }
    if (!r.location().empty()) location = r.location();
    std::string range = r.header("range");  // "0-N", N inclusive; "0-0" also means nothing yet
    auto dash = range.find('-');
    if (dash == std::string::npos || range == "0-0") return 0;
    return std::stoull(range.substr(dash + 1)) + 1;
  }

  // FAILURES: broken connections so far for this blob (they bound the retries).
  void upload(const Blob& blob, std::string location, int failures = 0) {
    fs::path file = oci::blob_path(layout_, blob.digest);
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_input("cannot read " + file.string() + ": the layout is missing blob " + blob.digest);
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};

    log::info("uploading " + blob.digest.substr(0, 19) + " (" + std::to_string(blob.size) + " bytes) to " + ref_.name());
    if (location.empty()) location = start_upload();
    uint64_t offset = 0;
    while (offset < blob.size) {
      uint64_t n = std::min<uint64_t>(options_.chunk_size, blob.size - offset);
      http::Request patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.body_fd = fd;
      patch.body_offset = offset;
      patch.body_length = n;
      patch.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)};
      try {
        http::Response r = session_->send(patch, scopes_);
        if (r.status == 202) {
          location = r.location().empty() ? location : r.location();
          offset += n;
          continue;
        }
        // 416: the registry is at another offset; 404: it dropped the upload
        // (after curl re-sent a broken chunk by itself); 5xx: it may have
        // taken part of the chunk. Ask it where it is. (408 and 429 were
        // retried by the HTTP layer: the registry did not act on them.)
        bool ask = r.status == 416 || r.status == 404 || r.status >= 500;
        if (!ask || ++failures > max_failures())
          fail_runtime("uploading " + blob.digest + " to " + ref_.name() + " failed: " + registry_error_text(r));
        pause(failures, registry_error_text(r), blob);
      } catch (const http::TransportError& e) {
        if (e.kind() != http::TransportError::Kind::broken || ++failures > max_failures()) throw;
        pause(failures, e.reason(), blob);
      }
      if (auto next = upload_status(location); next && *next <= blob.size) {
        offset = *next;
        ++result_.resumed;
      } else {
        // docker-registry drops an upload that received part of a chunk.
        log::warn("the registry dropped the broken upload of " + blob.digest + "; starting it again");
        location = start_upload();
        offset = 0;
        ++result_.restarted;
      }
    }
    http::Request put;
    put.method = "PUT";
    put.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + blob.digest;
    put.headers = {"Content-Type: application/octet-stream"};
    http::Response r = session_->send(put, scopes_);
    // A retried PUT finds the upload gone when the first one did commit it.
    if (r.status != 201 && r.status != 204 && blob_exists(blob.digest)) return;
    if (r.status == 400 && failures <= max_failures()) {
      // The registry mixed a broken chunk into the upload (caught by its digest check): once more from the start.
      log::warn("the registry rejected the resumed upload of " + blob.digest + " (" + registry_error_text(r) +
                "); starting it again");
      ++result_.restarted;
      return upload(blob, "", failures + 1);
    }
    if (r.status != 201 && r.status != 204)
      fail_runtime("completing the upload of " + blob.digest + " to " + ref_.name() + " failed: " + registry_error_text(r));
  }

  int max_failures() const { return session_->settings().retries; }

  // Before asking where a broken PATCH left the upload: the backoff of every request (http/retry.h).
  void pause(int failures, const std::string& why, const Blob& blob) {
    auto delay = http::backoff_delay(failures, session_->settings(), rng_);
    log::warn("uploading " + blob.digest.substr(0, 19) + " to " + ref_.name() + " broke (" + why + "); resuming in " +
              std::to_string(delay.count()) + " ms");
    std::this_thread::sleep_for(delay);
  }

  // PUTs the manifest DESC names under REFERENCE; returns the registry's answer.
  http::Response put_manifest(const nlohmann::json& desc, const std::string& reference) {
    return put_manifest_body(read_blob(desc.at("digest")), desc.at("mediaType"), reference);
  }

  http::Response put_manifest_body(const std::string& body, const std::string& media_type, const std::string& reference) {
    const std::string digest = oci::digest_of(body);
    http::Request put;
    put.method = "PUT";
    put.url = "/v2/" + ref_.repository + "/manifests/" + reference;
    put.headers = {"Content-Type: " + media_type};
    put.body = body;
    http::Response r = session_->send(put, scopes_);
    if (r.status != 201 && r.status != 200)
      fail_runtime("PUT manifest " + reference + " to " + ref_.name() + " failed: " + registry_error_text(r),
                   "the registry must accept OCI manifests and indexes");
    std::string echoed = r.header("docker-content-digest");
    if (!echoed.empty() && echoed != digest)
      fail_runtime("the registry stored manifest " + reference + " of " + ref_.name() + " as " + echoed + ", expected " + digest);
    ++result_.manifests;
    return r;
  }

  // The artifacts the layout lists about SUBJECT (its sha256-<hex> index), if any.
  void push_referrers(const nlohmann::json& layout_index, const std::string& subject) {
    const std::string tag = oci::referrers_tag(subject);
    nlohmann::json tagged;
    for (const auto& e : layout_index["manifests"])
      if (e.is_object() && oci::ref_name(e) == tag)
        tagged = e;
    if (tagged.is_null()) return;
    nlohmann::json ours = nlohmann::json::parse(read_blob(tagged.at("digest")), nullptr, false);
    if (!ours.is_object() || !ours.contains("manifests") || !ours["manifests"].is_array())
      fail_input(oci::blob_path(layout_, tagged.at("digest")).string() + " (the referrers of " + subject +
                 ") is not an image index");
    bool api = true;
    for (const auto& artifact : ours["manifests"]) {
      std::vector<nlohmann::json> manifests;
      std::vector<Blob> blobs;
      collect(artifact, manifests, blobs);
      for (const auto& b : blobs) push_blob(b);
      http::Response r = put_manifest(artifact, artifact.at("digest"));
      // Distribution spec 1.1: a registry that indexed the subject says so.
      api = api && r.header("oci-subject") == subject;
      ++result_.referrers;
    }
    if (api) {
      log::verbose("the referrers of " + subject + " are in " + ref_.name() + "'s referrers API");
      return;
    }
    // No referrers API: the referrers tag, what is there already plus ours.
    nlohmann::json merged = current_referrers_tag(tag);
    oci::append_new_entries(merged["manifests"], ours["manifests"]);
    put_manifest_body(merged.dump(), std::string(media::oci_index), tag);
    ++result_.referrers_tags;
    log::verbose(ref_.name() + " has no referrers API: the referrers of " + subject + " are under the tag " + tag);
  }

  // What the registry holds under the referrers tag TAG: an empty index when nothing.
  nlohmann::json current_referrers_tag(const std::string& tag) {
    http::Request get;
    get.method = "GET";
    get.url = "/v2/" + ref_.repository + "/manifests/" + tag;
    get.headers = {"Accept: " + std::string(media::oci_index)};
    http::Response r = session_->send(get, scopes_);
    nlohmann::json empty = oci::referrers_index({});
    if (r.status == 404) return empty;
    if (r.status != 200) fail_runtime("GET " + session_->url(get.url) + ": " + registry_error_text(r));
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    if (!doc.is_object() || !doc.contains("manifests") || !doc["manifests"].is_array()) {
      // Not a referrers index (someone's image tagged so): the spec says replace it.
      log::warn(ref_.name() + ":" + tag + " is not an image index; replacing it with the referrers of its digest");
      return empty;
    }
    return doc;
  }

  fs::path layout_;
  Reference ref_;
  RegistryOptions options_;
  RemoteBlobs remote_;
  std::shared_ptr<Session> session_;
  uint64_t bytes_before_ = 0;
  BlobLocations locations_;
  std::vector<std::string> scopes_;
  std::set<std::string> seen_;
  PushResult result_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace

PushResult push(const fs::path& layout_dir, const std::string& tag_in_layout, const std::string& ref_text,
                const RegistryOptions& options, const RemoteBlobs& remote) {
  Reference ref = parse_reference(ref_text);
  nlohmann::json root = oci::find_tagged(layout_dir, tag_in_layout);
  Pusher pusher(layout_dir, ref, options, remote);
  return pusher.run(root);
}

}  // namespace xb::registry
