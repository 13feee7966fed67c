#include "registry/remote_source.h"

#include <algorithm>

#include "oci/artifact_writer.h"
#include "oci/digest.h"
#include "registry/media_types.h"
#include "util/error.h"

namespace xb::registry {

namespace {

void bound(http::Request& get, int64_t size, const std::string& what) {
  if (size >= 0) {
    get.max_body = std::max<uint64_t>(1, static_cast<uint64_t>(size));
    get.limit_what = "the " + std::to_string(size) + " bytes its " + what + " declares";
  } else {
    get.limit_what = "the 4 MiB limit for a manifest";  // max_body 0: http::kManifestLimit
  }
}

}  // namespace

oci::Document get_manifest(Session& session, const Reference& ref, const std::vector<std::string>& scopes,
                           const std::string& identifier, const std::string& digest, int64_t size) {
  http::Request get;
  get.url = "/v2/" + ref.repository + "/manifests/" + identifier;
  get.headers = {std::string(media::accept_header)};
  bound(get, size, "index");
  http::Response r = session.send(get, scopes);
  if (r.status == 404) {
    std::string what = identifier.starts_with("sha256:") ? "manifest " + identifier : "tag \"" + identifier + "\"";
    fail_runtime("not found: " + what + " of repository \"" + ref.repository + "\" at registry " + ref.registry +
                     " (asked for " + ref.str() + "): " + registry_error_text(r),
                 "check the repository name and the tag (skopeo list-tags docker://" + ref.name() + ")");
  }
  if (r.status != 200) fail_runtime("GET " + session.url(get.url) + " failed: " + registry_error_text(r));
  oci::Document d{r.body, "", oci::digest_of(r.body)};
  std::string expected = !digest.empty() ? digest : r.header("docker-content-digest");
  if (!expected.empty() && expected != d.digest)
    fail_runtime("manifest " + identifier + " of " + ref.name() + " does not match its digest: expected " + expected +
                 ", got " + d.digest);
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) fail_runtime("manifest " + identifier + " of " + ref.name() + " is not JSON");
  d.media_type = j.value("mediaType", r.header("content-type"));
  if (auto semi = d.media_type.find(';'); semi != std::string::npos) d.media_type.resize(semi);
  return d;
}

RemoteSource::RemoteSource(Reference ref, const RegistryOptions& options)
    : ref_(std::move(ref)), session_(ref_.registry, options), scopes_{"repository:" + ref_.repository + ":pull"} {}

oci::Document RemoteSource::root() { return get_manifest(session_, ref_, scopes_, ref_.identifier(), ref_.digest); }

oci::Document RemoteSource::manifest(const std::string& digest, int64_t size) {
  if (!oci::is_digest(digest)) fail_runtime(ref_.str() + ": a descriptor names the malformed digest '" + digest + "'");
  return get_manifest(session_, ref_, scopes_, digest, digest, size);
}

oci::Document RemoteSource::blob(const std::string& digest, int64_t size) {
  if (!oci::is_digest(digest)) fail_runtime(ref_.str() + ": a descriptor names the malformed digest '" + digest + "'");
  http::Request get;
  get.url = "/v2/" + ref_.repository + "/blobs/" + digest;
  get.follow_redirects = true;
  bound(get, size, "descriptor");
  http::Response r = session_.send(get, scopes_);
  if (r.status != 200) fail_runtime("GET " + session_.url(get.url) + " failed: " + registry_error_text(r));
  oci::Document d{r.body, "", oci::digest_of(r.body)};
  if (d.digest != digest)
    fail_runtime("blob " + digest + " of " + ref_.name() + " does not match its digest (got " + d.digest + ")");
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) d.media_type = j.value("mediaType", "");
  return d;
}

nlohmann::json RemoteSource::referrers(const std::string& subject, std::string& how) {
  http::Request get;
  get.url = "/v2/" + ref_.repository + "/referrers/" + subject;
  get.headers = {"Accept: " + std::string(media::oci_index)};
  bound(get, -1, "");
  http::Response r = session_.send(get, scopes_);
  auto is_index = [](const nlohmann::json& j) {
    return j.is_object() && j.contains("manifests") && j["manifests"].is_array();
  };
  if (r.status == 200) {
    nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
    if (!is_index(doc))
      fail_runtime("GET " + session_.url(get.url) + " answered something that is not an image index");
    how = "the referrers API of " + ref_.registry;
    return doc;
  }
  if (r.status != 404) fail_runtime("GET " + session_.url(get.url) + " failed: " + registry_error_text(r));
  // No referrers API: the referrers tag schema.
  const std::string tag = oci::referrers_tag(subject);
  how = "the " + tag + " tag (" + ref_.registry + " has no referrers API)";
  http::Request tagged;
  tagged.url = "/v2/" + ref_.repository + "/manifests/" + tag;
  tagged.headers = {"Accept: " + std::string(media::oci_index)};
  bound(tagged, -1, "");
  r = session_.send(tagged, scopes_);
  if (r.status == 404) return oci::referrers_index({});
  if (r.status != 200) fail_runtime("GET " + session_.url(tagged.url) + " failed: " + registry_error_text(r));
  nlohmann::json doc = nlohmann::json::parse(r.body, nullptr, false);
  return is_index(doc) ? doc : oci::referrers_index({});
}

}  // namespace xb::registry
