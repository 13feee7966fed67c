// A registry of the OCI distribution API kept in memory and served on
// loopback (support/http_server.h), for what Debian's docker-registry cannot
// be made to do: answer 429 with Retry-After, hand out an upload Location on
// another host and port, redirect blob GETs to a storage server, answer with
// a relative Location, or serve a manifest larger than its index declares.
// It records every request (with its headers) on both servers.
//
// The subset push and pull use: GET /v2/, HEAD/GET blobs, POST uploads,
// PATCH with Content-Range, PUT ?digest=, GET upload status, PUT/GET
// manifests by tag or digest. Basic auth on the API when a user is set.
// With referrers_api, the OCI distribution spec 1.1 referrers API as
// Amazon ECR and distribution 3 have it: a manifest PUT with a `subject` is
// answered with OCI-Subject and listed by GET /v2/<repo>/referrers/<digest>.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "support/http_server.h"
#include "util/sha256.h"

namespace xb::regtest {

struct FakeRegistryOptions {
  std::string user, password;       // Basic auth on the API server when set
  bool uploads_elsewhere = false;   // upload Locations are absolute URLs on the storage server
  bool relative_location = false;   // upload Locations relative to the request ("ID?_state=N")
  bool redirect_blobs = false;      // blob GETs: 307 to the storage server
  // The first request of each kind gets 429 with this Retry-After; kinds:
  // "PATCH", "PUT blob", "PUT manifest", "GET manifest".
  std::set<std::string> throttle;
  std::string retry_after = "1";
  bool referrers_api = false;
};

class FakeRegistry {
 public:
  using Response = test::Response;
  using Request = test::Request;

  explicit FakeRegistry(FakeRegistryOptions o = {})
      : options_(std::move(o)),
        storage_([this](const Request& r) { return serve(r, true); }),
        api_([this](const Request& r) { return serve(r, false); }) {}

  std::string host() const { return "127.0.0.1:" + std::to_string(api_.port()); }
  test::HttpServer& api() { return api_; }
  test::HttpServer& storage() { return storage_; }

  // Replaces the answer to requests whose "METHOD target" starts with PREFIX.
  void intercept(std::string prefix, std::function<Response(const Request&)> answer) {
    std::lock_guard lock(mu_);
    intercepts_.emplace_back(std::move(prefix), std::move(answer));
  }
  // Requests of kind KIND answered with 429 so far.
  int throttled(const std::string& kind) const {
    std::lock_guard lock(mu_);
    auto it = throttled_.find(kind);
    return it == throttled_.end() ? 0 : it->second;
  }
  bool has_manifest(const std::string& repo, const std::string& ref) const {
    std::lock_guard lock(mu_);
    return manifests_.count(repo + "@" + ref) > 0;
  }

 private:
  struct Manifest {
    std::string type, body;
  };

  static Response answer(int status, std::vector<std::pair<std::string, std::string>> headers = {},
                         std::string body = {}) {
    Response r;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    r.honour_range = status == 200;
    return r;
  }

  std::string storage_url(const std::string& path) const { return storage_.url(path); }

  // KIND throttled once: 429 the first time.
  bool throttle_now(const std::string& kind) {
    if (!options_.throttle.count(kind) || throttled_[kind] > 0) return false;
    ++throttled_[kind];
    return true;
  }

  std::string upload_location(const std::string& repo, const std::string& id) const {
    if (options_.uploads_elsewhere) return storage_url("/upload/" + id);
    if (options_.relative_location) return id + "?_state=" + std::to_string(uploads_.at(id).size());
    return "/v2/" + repo + "/blobs/uploads/" + id;
  }

  Response serve(const Request& r, bool storage) {
    std::string target = r.target.substr(0, r.target.find('?'));
    std::string query = r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
    std::lock_guard lock(mu_);
    for (const auto& [prefix, fn] : intercepts_)
      if ((r.method + " " + r.target).rfind(prefix, 0) == 0) return fn(r);
    if (!storage && !options_.user.empty()) {
      std::string want = "Basic " + base64(options_.user + ":" + options_.password);
      if (r.header("authorization") != want)
        return answer(401, {{"WWW-Authenticate", "Basic realm=\"fake\""}}, R"({"errors":[{"code":"UNAUTHORIZED"}]})");
    }
    if (target == "/v2/" || target == "/v2") return answer(200, {}, "{}");
    if (storage) {
      if (target.rfind("/upload/", 0) == 0) return upload_step(r, "", target.substr(8), query);
      if (target.rfind("/blob/", 0) == 0) return get_blob(r, target.substr(6), true);
      return answer(404);
    }
    // /v2/<repo>/{blobs,manifests}/...
    auto blobs = target.find("/blobs/"), manifests = target.find("/manifests/");
    if (blobs != std::string::npos) {
      std::string repo = target.substr(4, blobs - 4), rest = target.substr(blobs + 7);
      if (rest.rfind("uploads/", 0) == 0) {
        std::string id = rest.substr(8);
        if (r.method == "POST" && id.empty()) {
          id = std::to_string(++next_id_);
          uploads_[id];
          return answer(202, {{"Location", upload_location(repo, id)}, {"Range", "0-0"}});
        }
        return upload_step(r, repo, id, query);
      }
      return get_blob(r, rest, false);
    }
    auto referrers = target.find("/referrers/");
    if (referrers != std::string::npos && r.method == "GET") {
      if (!options_.referrers_api) return answer(404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})");
      std::string repo = target.substr(4, referrers - 4), digest = target.substr(referrers + 11);
      nlohmann::json index = {{"schemaVersion", 2},
                              {"mediaType", "application/vnd.oci.image.index.v1+json"},
                              {"manifests", nlohmann::json::array()}};
      for (const auto& e : referrers_[repo + "@" + digest]) index["manifests"].push_back(e);
      return answer(200, {{"Content-Type", "application/vnd.oci.image.index.v1+json"}}, index.dump());
    }
    if (manifests != std::string::npos) {
      std::string repo = target.substr(4, manifests - 4), ref = target.substr(manifests + 11);
      if (r.method == "PUT") {
        if (throttle_now("PUT manifest")) return too_many();
        std::string digest = "sha256:" + sha256_hex(r.body);
        manifests_[repo + "@" + ref] = manifests_[repo + "@" + digest] = {r.header("content-type"), r.body};
        std::vector<std::pair<std::string, std::string>> headers = {
            {"Docker-Content-Digest", digest}, {"Location", "/v2/" + repo + "/manifests/" + digest}};
        auto doc = nlohmann::json::parse(r.body, nullptr, false);
        if (options_.referrers_api && doc.is_object() && doc.contains("subject")) {
          nlohmann::json d = {{"mediaType", doc.value("mediaType", "")}, {"digest", digest}, {"size", r.body.size()}};
          if (doc.contains("artifactType")) d["artifactType"] = doc["artifactType"];
          if (doc.contains("annotations")) d["annotations"] = doc["annotations"];
          auto& list = referrers_[repo + "@" + doc["subject"].value("digest", "")];
          bool there = false;
          for (const auto& e : list) there = there || e["digest"] == digest;
          if (!there) list.push_back(d);
          headers.emplace_back("OCI-Subject", doc["subject"].value("digest", ""));
        }
        return answer(201, headers);
      }
      if (r.method == "GET" && throttle_now("GET manifest")) return too_many();
      auto it = manifests_.find(repo + "@" + ref);
      if (it == manifests_.end()) return answer(404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})");
      return answer(200, {{"Content-Type", it->second.type},
                          {"Docker-Content-Digest", "sha256:" + sha256_hex(it->second.body)}},
                    it->second.body);
    }
    return answer(404);
  }

  Response too_many() {
    return answer(429, {{"Retry-After", options_.retry_after}}, R"({"errors":[{"code":"TOOMANYREQUESTS"}]})");
  }

  Response get_blob(const Request& r, const std::string& digest, bool from_storage) {
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) return answer(404, {}, R"({"errors":[{"code":"BLOB_UNKNOWN"}]})");
    if (r.method == "GET" && options_.redirect_blobs && !from_storage)
      return answer(307, {{"Location", storage_url("/blob/" + digest)}});
    return answer(200, {{"Docker-Content-Digest", digest}}, it->second);
  }

  Response upload_step(const Request& r, const std::string& repo, const std::string& id, const std::string& query) {
    auto it = uploads_.find(id);
    if (it == uploads_.end()) return answer(404, {}, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]})");
    std::string& data = it->second;
    auto range = [&] { return std::string("0-") + std::to_string(data.empty() ? 0 : data.size() - 1); };
    if (r.method == "GET") return answer(204, {{"Location", upload_location(repo, id)}, {"Range", range()}});
    if (r.method == "PATCH") {
      if (throttle_now("PATCH")) return too_many();
      data += r.body;
      return answer(202, {{"Location", upload_location(repo, id)}, {"Range", range()}});
    }
    if (r.method == "PUT") {
      if (throttle_now("PUT blob")) return too_many();
      data += r.body;
      std::string digest;
      for (size_t p = 0; p < query.size();) {
        size_t amp = query.find('&', p);
        std::string kv = query.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
        if (kv.rfind("digest=", 0) == 0) digest = kv.substr(7);
        p = amp == std::string::npos ? query.size() : amp + 1;
      }
      if (digest != "sha256:" + sha256_hex(data)) return answer(400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})");
      blobs_[digest] = data;
      uploads_.erase(it);
      return answer(201, {{"Docker-Content-Digest", digest}});
    }
    return answer(405);
  }

  static std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
      unsigned v = (unsigned char)in[i] << 16;
      out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
      out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
  }

  FakeRegistryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> blobs_;    // digest -> bytes
  std::map<std::string, std::string> uploads_;  // id -> bytes so far
  std::map<std::string, Manifest> manifests_;   // "repo@ref"
  std::map<std::string, int> throttled_;
  std::map<std::string, std::vector<nlohmann::json>> referrers_;  // "repo@subject digest" -> descriptors
  std::vector<std::pair<std::string, std::function<Response(const Request&)>>> intercepts_;
  int next_id_ = 0;
  // Declared last: their threads call serve(), so they stop first.
  test::HttpServer storage_;
  test::HttpServer api_;
};

}  // namespace xb::regtest
