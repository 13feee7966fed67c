#include "registry/credentials.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/subprocess.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::registry {

namespace {

// docker.io credentials live under docker's historical index URL.
constexpr const char* kHubKey = "https://index.docker.io/v1/";

std::string base64_decode(const std::string& in) {
  std::string out(3 * ((in.size() + 3) / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return {};
  size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
  return out;
}

// "https://host:5000/v1/" -> "host:5000", as docker normalises auths keys.
std::string key_host(std::string key) {
  if (auto p = key.find("://"); p != std::string::npos) key = key.substr(p + 3);
  if (auto p = key.find('/'); p != std::string::npos) key.resize(p);
  if (key == "index.docker.io" || key == "registry-1.docker.io") key = "docker.io";
  return key;
}

// The server name given to helpers and used as auths key for REGISTRY.
std::string server_name(const std::string& registry) { return registry == "docker.io" ? kHubKey : registry; }

}  // namespace

std::string docker_config_path() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.docker/config.json";
  return {};
}

std::optional<Credentials> run_credential_helper(const std::string& helper, const std::string& server) {
  std::string program = "docker-credential-" + helper;
  SubprocessResult r = run_subprocess({program, "get"}, server);
  if (r.exit_code == 127)
    fail_runtime("credential helper " + program + " was not found on PATH (named in " + docker_config_path() + ")",
                 "install it or remove it from credHelpers/credsStore");
  if (r.exit_code != 0) {
    if (r.out.find("credentials not found") != std::string::npos ||
        r.err.find("credentials not found") != std::string::npos)
      return std::nullopt;
    // Only stderr is shown: stdout is where a helper prints secrets, also
    // when it then fails.
    std::string why = r.err.substr(0, 500);
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    if (why.empty()) why = "nothing on stderr; its stdout is not shown, it may hold a secret";
    fail_runtime(program + " get " + server + " failed (exit " + std::to_string(r.exit_code) + "): " + why,
                 "check that the helper is logged in, e.g. run it by hand: echo " + server + " | " + program + " get");
  }
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j.contains("Secret"))
    fail_runtime(program + " get " + server + " did not print {\"Username\":...,\"Secret\":...}");
  Credentials c;
  c.username = j.value("Username", "");
  c.secret = j.value("Secret", "");
  c.source = program;
  if (c.secret.empty()) return std::nullopt;
  return c;
}

std::optional<Credentials> find_credentials(const std::string& registry) {
  std::string path = docker_config_path();
  if (path.empty() || !std::filesystem::exists(path)) return std::nullopt;
  nlohmann::json cfg = nlohmann::json::parse(read_file(path), nullptr, false);
  if (!cfg.is_object())
    fail_runtime(path + " is not valid JSON", "fix or remove it (it is docker's credential file)");

  std::string server = server_name(registry);
  if (auto it = cfg.find("credHelpers"); it != cfg.end() && it->is_object()) {
    for (const auto& [key, helper] : it->items())
      if (key_host(key) == registry && helper.is_string()) return run_credential_helper(helper, server);
  }
  if (auto it = cfg.find("credsStore"); it != cfg.end() && it->is_string() && !it->get<std::string>().empty()) {
    if (auto c = run_credential_helper(it->get<std::string>(), server)) return c;
  }
  if (auto it = cfg.find("auths"); it != cfg.end() && it->is_object()) {
    for (const auto& [key, entry] : it->items()) {
      if (key_host(key) != registry || !entry.is_object()) continue;
      Credentials c;
      c.source = path + " auths[\"" + key + "\"]";
      if (entry.contains("auth") && entry["auth"].is_string()) {
        std::string plain = base64_decode(entry["auth"].get<std::string>());
        auto colon = plain.find(':');
        if (colon == std::string::npos)
          fail_runtime(path + ": auths[\"" + key + "\"].auth is not base64 of USER:PASSWORD", "run docker login again");
        c.username = plain.substr(0, colon);
        c.secret = plain.substr(colon + 1);
      } else {
        c.username = entry.value("username", "");
        c.secret = entry.value("password", "");
      }
      if (c.secret.empty() && entry.contains("identitytoken")) c.secret = entry.value("identitytoken", "");
      if (!c.secret.empty()) return c;
    }
  }
  return std::nullopt;
}

}  // namespace xb::registry
