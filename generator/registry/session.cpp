#include "registry/session.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "http/url.h"
#include "registry/reference.h"
#include "util/error.h"
#include "util/log.h"
#include "util/redact.h"
#include "util/strings.h"

namespace xb::registry {

namespace {

std::string host_only(const std::string& registry) {
  if (registry.starts_with("[")) return registry.substr(0, registry.find(']') + 1);
  return registry.substr(0, registry.find(':'));
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string url_escape(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out = e ? e : s;
  curl_free(e);
  return out;
}

NetSettings settings_for(const std::string& registry, const RegistryOptions& options, bool insecure) {
  // The same variables as the daemon download (http/net_settings.h), then
  // docker's per-registry CA directory.
  NetSettings s = net_settings_from_env(options.ca_file);
  if (s.ca_bundle.empty()) {
    std::string docker_ca = "/etc/docker/certs.d/" + registry + "/ca.crt";
    if (std::filesystem::exists(docker_ca)) s.ca_bundle = docker_ca;
  }
  s.verify_tls = !insecure;
  return s;
}

}  // namespace

bool http_allowed(const std::string& registry, const std::vector<std::string>& insecure) {
  std::string host = host_only(registry);
  if (host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.starts_with("127.")) return true;
  return std::any_of(insecure.begin(), insecure.end(),
                     [&](const std::string& h) { return h == registry || h == host; });
}

std::string registry_error_text(const http::Response& r) {
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  std::string out;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string one = e.value("code", "") + ": " + e.value("message", "");
      if (e.contains("detail") && !e["detail"].is_null()) one += " (" + e["detail"].dump() + ")";
      out += (out.empty() ? "" : "; ") + one;
    }
  }
  if (out.empty()) {
    out = r.body.substr(0, 200);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  }
  if (out.empty()) {  // HEAD answers have no body
    static const std::map<long, const char*> reasons{{401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
                                                     {405, "Method Not Allowed"}, {429, "Too Many Requests"}};
    if (auto it = reasons.find(r.status); it != reasons.end()) out = it->second;
  }
  std::string text = "HTTP " + std::to_string(r.status) + (out.empty() ? "" : " " + out);
  if (r.attempts > 1) text += " (after " + std::to_string(r.attempts) + " attempts)";
  return text;
}

Session::Session(std::string registry, const RegistryOptions& options)
    : registry_(std::move(registry)), options_(options) {
  Reference probe;
  probe.registry = registry_;
  host_ = probe.api_host();
  const auto& named = options_.insecure_registries;
  bool insecure = std::find(named.begin(), named.end(), registry_) != named.end() ||
                  std::find(named.begin(), named.end(), host_only(registry_)) != named.end();
  http_ = std::make_unique<http::Client>(settings_for(registry_, options_, insecure));
}

const std::string& Session::base_url() {
  if (base_url_.empty()) ping();
  return base_url_;
}

std::string Session::url(const std::string& path_or_url) {
  if (!http::scheme_of(path_or_url).empty()) return path_or_url;
  return base_url() + path_or_url;
}

void Session::ping() {
  // https first, as docker does; http only where allowed and only if it answers like a registry.
  const bool may_fall_back = http_allowed(registry_, options_.insecure_registries);
  http::Request req;
  req.url = "https://" + host_ + "/v2/";
  req.max_attempts = may_fall_back ? 1 : 0;  // a plain-HTTP registry refuses https at once: no retrying that
  http::Response r;
  try {
    r = http_->send(req);
    base_url_ = "https://" + host_;
  } catch (const http::TransportError& https_error) {
    if (!may_fall_back) {
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  https_error.tls() ? "if it uses a private CA, pass its certificate with --ca-bundle FILE or XRAYBAKE_CA_BUNDLE=FILE "
                                      "(or /etc/docker/certs.d/" + registry_ + "/ca.crt); if it speaks plain HTTP, "
                                      "name it with --insecure-registry " + registry_
                                    : "check the registry name and that it is reachable");
    }
    req.url = "http://" + host_ + "/v2/";
    req.max_attempts = 0;
    try {
      r = http_->send(req);
    } catch (const http::TransportError&) {
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  "check that the registry is running and reachable");
    }
    if (r.status != 200 && r.status != 401)
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  https_error.tls() ? "pass its CA certificate with XRAYBAKE_CA_BUNDLE=FILE" : "");
    base_url_ = "http://" + host_;
    log::verbose("registry " + registry_ + ": plain HTTP");
  }
  origin_ = http::origin_of(base_url_).value_or(http::Origin{});
  if (r.status == 401) challenge_ = pick_challenge(r.all("www-authenticate"));
}

void Session::load_credentials() {
  if (credentials_loaded_) return;
  credentials_ = find_credentials(registry_);
  credentials_loaded_ = true;
}

std::string Session::authorization(const std::vector<std::string>& scopes, bool refresh) {
  if (!challenge_) return {};
  load_credentials();
  if (challenge_->scheme == "basic") {
    if (!credentials_) return {};
    return "Basic " + base64(credentials_->username + ":" + credentials_->secret);
  }
  std::string key = join(scopes, " ");
  if (!refresh) {
    if (auto it = tokens_.find(key); it != tokens_.end()) return "Bearer " + it->second;
  }
  std::string token = fetch_token(scopes);
  tokens_[key] = token;
  return "Bearer " + token;
}

std::string Session::fetch_token(const std::vector<std::string>& scopes) {
  // The challenge came from the registry itself (ping, or a 401 of its own
  // origin): its realm may be elsewhere (auth.docker.io), but never plain
  // HTTP for an HTTPS registry.
  std::string realm = challenge_->param("realm");
  if (realm.empty()) fail_runtime("registry " + registry_ + " asked for a Bearer token without a realm");
  auto realm_origin = http::origin_of(realm);
  if (!realm_origin || (realm_origin->scheme != "https" && realm_origin->scheme != "http"))
    fail_runtime("registry " + registry_ + " named a token realm that is not an http(s) URL: " + redact_url(realm));
  if (origin_.scheme == "https" && realm_origin->scheme != "https")
    fail_runtime("registry " + registry_ + " asks for a token from " + redact_url(realm) +
                     ", which is plain HTTP; credentials are not sent there",
                 "the registry's token realm must be an https URL");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  std::string service = challenge_->param("service");
  if (!service.empty()) url += "service=" + url_escape(service);
  for (const auto& s : scopes) url += "&scope=" + url_escape(s);
  http::Request req;
  req.url = url;
  req.follow_redirects = true;
  req.max_body = http::kTokenLimit;
  req.limit_what = "the 1 MiB limit for a token answer";
  if (credentials_)
    req.credential = http::Credential{*realm_origin, "Basic " + base64(credentials_->username + ":" + credentials_->secret)};
  http::Response r = http_->send(req);
  if (r.status == 401 || r.status == 403) auth_failed(r, redact_url(realm));
  if (r.status != 200) fail_runtime("token request to " + redact_url(realm) + " failed: " + registry_error_text(r));
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  std::string token;
  if (j.is_object()) token = j.value("token", j.value("access_token", ""));
  if (token.empty()) fail_runtime("token endpoint " + redact_url(realm) + " returned no token");
  return token;
}

void Session::auth_failed(const http::Response& r, const std::string& url) {
  std::string who = credentials_ ? "as user \"" + credentials_->username + "\" (credentials from " + credentials_->source + ")"
                                 : "without credentials (none for " + registry_ + " in " + docker_config_path() + ")";
  std::string what = r.status == 403 ? "access denied" : "authentication failed";
  throw Error(ExitCode::runtime,
              what + " at registry " + registry_ + " " + who + ": " + registry_error_text(r) + " (" + url + ")",
              credentials_ ? "check the user name and password (docker login " + registry_ + "), or the permissions of that user"
                           : "log in first: docker login " + registry_ + " (or configure a credential helper)");
}

http::Response Session::send(http::Request request, const std::vector<std::string>& scopes) {
  request.url = url(request.url);
  std::string auth = authorization(scopes, false);
  bool refreshed = false;
  while (true) {
    http::Request r = request;
    if (!auth.empty()) r.credential = http::Credential{origin_, auth};
    http::Response resp = http_->send(r);
    const bool from_registry = http::origin_of(resp.url) == origin_;
    if (resp.status == 401 && !from_registry)
      throw Error(ExitCode::runtime,
                  request.method + " " + redact_url(request.url) + ": " + redact_url(resp.url) +
                      " asks for credentials (" + registry_error_text(resp) + "); the credentials of " + registry_ +
                      " are only ever sent to " + origin_.str() + ", not to another host, port or scheme",
                  "the registry handed the request to another server (a redirect or an upload Location); "
                  "that server must accept it without the registry's credentials, as storage with signed URLs does");
    if (resp.status == 403 && challenge_ && from_registry) auth_failed(resp, redact_url(request.url));
    if (resp.status != 401) return resp;
    if (refreshed) auth_failed(resp, redact_url(request.url));
    if (auto c = pick_challenge(resp.all("www-authenticate"))) challenge_ = c;
    if (!challenge_) auth_failed(resp, redact_url(request.url));
    load_credentials();
    if (challenge_->scheme == "basic" && (!credentials_ || !auth.empty())) auth_failed(resp, redact_url(request.url));
    auth = authorization(scopes, true);
    refreshed = true;
  }
}

void Session::prepare_for_fork() {
  base_url();
  if (challenge_) load_credentials();
  bytes_before_ += http_->bytes_sent();
  http_ = std::make_unique<http::Client>(http_->settings());
}

namespace {

bool g_share = false;
std::map<std::string, std::shared_ptr<Session>>& shared() {
  static std::map<std::string, std::shared_ptr<Session>> sessions;
  return sessions;
}

std::string session_key(const std::string& registry, const RegistryOptions& options) {
  return registry + "\n" + join(options.insecure_registries, ",") + "\n" + options.ca_file;
}

}  // namespace

std::shared_ptr<Session> open_session(const std::string& registry, const RegistryOptions& options) {
  if (!g_share) return std::make_shared<Session>(registry, options);
  auto& s = shared()[session_key(registry, options)];
  if (!s) s = std::make_shared<Session>(registry, options);
  return s;
}

void share_sessions(const std::vector<std::string>& registries, const RegistryOptions& options) {
  g_share = true;
  for (const auto& r : registries) {
    try {
      open_session(r, options)->prepare_for_fork();
      log::verbose("registry " + r + ": one session for every build");
    } catch (const Error& e) {
      shared().erase(session_key(r, options));  // each build tries, and says what is wrong
      log::verbose("registry " + r + ": not prepared (" + std::string(e.what()) + "); each build asks it");
    }
  }
}

}  // namespace xb::registry
