#include "registry/session.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "registry/reference.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/log.h"

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

std::string ca_bundle_for(const std::string& registry, const std::string& configured) {
  if (!configured.empty()) return configured;
  // The same variables as the daemon download (fetch/net_settings.h).
  for (const char* env : {"XRAYBAKE_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"})
    if (const char* v = std::getenv(env); v && *v) return v;
  // docker's per-registry CA directory
  std::string docker_ca = "/etc/docker/certs.d/" + registry + "/ca.crt";
  if (std::filesystem::exists(docker_ca)) return docker_ca;
  return {};
}

bool retryable(const HttpRequest& r) { return !r.sink && r.method != "PATCH"; }

}  // namespace

bool http_allowed(const std::string& registry, const std::vector<std::string>& insecure) {
  std::string host = host_only(registry);
  if (host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.starts_with("127.")) return true;
  return std::any_of(insecure.begin(), insecure.end(),
                     [&](const std::string& h) { return h == registry || h == host; });
}

std::string registry_error_text(const HttpResponse& r) {
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
  return "HTTP " + std::to_string(r.status) + (out.empty() ? "" : " " + out);
}

Session::Session(std::string registry, const RegistryOptions& options)
    : registry_(std::move(registry)), options_(options) {
  Reference probe;
  probe.registry = registry_;
  host_ = probe.api_host();
  bool insecure = std::find(options_.insecure_registries.begin(), options_.insecure_registries.end(), registry_) !=
                      options_.insecure_registries.end() ||
                  std::find(options_.insecure_registries.begin(), options_.insecure_registries.end(),
                            host_only(registry_)) != options_.insecure_registries.end();
  http_ = std::make_unique<HttpClient>(TlsOptions{ca_bundle_for(registry_, options_.ca_file), !insecure});
}

const std::string& Session::base_url() {
  if (base_url_.empty()) ping();
  return base_url_;
}

std::string Session::url(const std::string& path_or_url) {
  if (path_or_url.starts_with("http://") || path_or_url.starts_with("https://")) return path_or_url;
  return base_url() + path_or_url;
}

void Session::ping() {
  // https first, as docker does; http only where allowed and only if it answers like a registry.
  HttpRequest req;
  req.url = "https://" + host_ + "/v2/";
  HttpResponse r;
  try {
    r = http_->send(req);
    base_url_ = "https://" + host_;
  } catch (const TransportError& https_error) {
    if (!http_allowed(registry_, options_.insecure_registries)) {
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  https_error.tls() ? "if it uses a private CA, pass its certificate with --ca-bundle FILE or XRAYBAKE_CA_BUNDLE=FILE "
                                      "(or /etc/docker/certs.d/" + registry_ + "/ca.crt); if it speaks plain HTTP, "
                                      "name it with --insecure-registry " + registry_
                                    : "check the registry name and that it is reachable");
    }
    req.url = "http://" + host_ + "/v2/";
    try {
      r = http_->send(req);
    } catch (const TransportError&) {
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  "check that the registry is running and reachable");
    }
    if (r.status != 200 && r.status != 401)
      throw Error(ExitCode::runtime, "cannot reach registry " + registry_ + ": " + https_error.what(),
                  https_error.tls() ? "pass its CA certificate with XRAYBAKE_CA_BUNDLE=FILE" : "");
    base_url_ = "http://" + host_;
    log::verbose("registry " + registry_ + ": plain HTTP");
  }
  if (r.status == 401) challenge_ = pick_challenge(r.all("www-authenticate"));
}

std::string Session::authorization(const std::vector<std::string>& scopes, bool refresh) {
  if (!challenge_) return {};
  if (!credentials_loaded_) {
    credentials_ = find_credentials(registry_);
    credentials_loaded_ = true;
  }
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
  std::string realm = challenge_->param("realm");
  if (realm.empty()) fail_runtime("registry " + registry_ + " asked for a Bearer token without a realm");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  std::string service = challenge_->param("service");
  if (!service.empty()) url += "service=" + url_escape(service);
  for (const auto& s : scopes) url += "&scope=" + url_escape(s);
  HttpRequest req;
  req.url = url;
  if (credentials_) req.headers.push_back("Authorization: Basic " + base64(credentials_->username + ":" + credentials_->secret));
  HttpResponse r;
  for (int attempt = 0;; ++attempt) {
    try {
      r = http_->send(req);
      break;
    } catch (const TransportError&) {
      if (attempt >= options_.max_retries) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    }
  }
  if (r.status == 401 || r.status == 403) auth_failed(r, realm);
  if (r.status != 200) fail_runtime("token request to " + realm + " failed: " + registry_error_text(r));
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  std::string token;
  if (j.is_object()) token = j.value("token", j.value("access_token", ""));
  if (token.empty()) fail_runtime("token endpoint " + realm + " returned no token");
  return token;
}

void Session::auth_failed(const HttpResponse& r, const std::string& url) {
  std::string who = credentials_ ? "as user \"" + credentials_->username + "\" (credentials from " + credentials_->source + ")"
                                 : "without credentials (none for " + registry_ + " in " + docker_config_path() + ")";
  std::string what = r.status == 403 ? "access denied" : "authentication failed";
  throw Error(ExitCode::runtime,
              what + " at registry " + registry_ + " " + who + ": " + registry_error_text(r) + " (" + url + ")",
              credentials_ ? "check the user name and password (docker login " + registry_ + "), or the permissions of that user"
                           : "log in first: docker login " + registry_ + " (or configure a credential helper)");
}

HttpResponse Session::send(HttpRequest request, const std::vector<std::string>& scopes) {
  request.url = url(request.url);
  std::string auth = authorization(scopes, false);
  bool refreshed = false;
  while (true) {
    HttpRequest r = request;
    if (!auth.empty()) r.headers.push_back("Authorization: " + auth);
    HttpResponse resp;
    for (int attempt = 0;; ++attempt) {
      try {
        resp = http_->send(r);
        break;
      } catch (const TransportError& e) {
        if (!retryable(r) || attempt >= options_.max_retries) throw;
        log::warn(std::string(e.what()) + "; retrying");
        std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      }
    }
    if (resp.status == 403 && challenge_) auth_failed(resp, request.url);
    if (resp.status != 401) return resp;
    if (refreshed) auth_failed(resp, request.url);
    if (auto c = pick_challenge(resp.all("www-authenticate"))) challenge_ = c;
    if (!challenge_) auth_failed(resp, request.url);
    if (!credentials_loaded_) {
      credentials_ = find_credentials(registry_);
      credentials_loaded_ = true;
    }
    if (challenge_->scheme == "basic" && (!credentials_ || !auth.empty())) auth_failed(resp, request.url);
    auth = authorization(scopes, true);
    refreshed = true;
  }
}

}  // namespace xb::registry
