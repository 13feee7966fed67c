// One registry host: how to reach it (https, or http where allowed), and the
// authentication dance (anonymous, Basic, Bearer tokens per scope), over the
// HTTP layer (http/client.h), which retries, follows redirects, and sends
// the registry's credential only to the registry's own origin.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"
#include "registry/challenge.h"
#include "registry/credentials.h"
#include "registry/options.h"

namespace xb::registry {

// Plain HTTP is only ever used for these: loopback, or named by the user.
bool http_allowed(const std::string& registry, const std::vector<std::string>& insecure);

class Session {
 public:
  // REGISTRY as in a Reference ("docker.io", "127.0.0.1:5000").
  Session(std::string registry, const RegistryOptions& options);

  const std::string& registry() const { return registry_; }
  // "https://host" or "http://host", decided on the first request.
  const std::string& base_url();
  // PATH ("/v2/...") made absolute; an absolute URL is returned unchanged.
  std::string url(const std::string& path_or_url);

  // Sends REQUEST (its url may be a path), authenticating for SCOPES
  // ("repository:NAME:pull,push"). Retries once after a 401 with a fresh
  // token; a second 401 or 403 is an authentication error (exit 1). A 401
  // from anywhere but the registry itself (a redirect target, an upload
  // Location on another host) is an error too: no credential goes there.
  http::Response send(http::Request request, const std::vector<std::string>& scopes);

  uint64_t bytes_sent() const { return bytes_before_ + http_->bytes_sent(); }
  const NetSettings& settings() const { return http_->settings(); }

  // What every request needs first, now: the ping (https or http, the
  // challenge) and, when the registry asks for them, the credentials (a
  // credential helper runs here). Then the connections are closed, so that
  // processes forked after this inherit the rest, never a socket: two
  // processes writing to one connection would mix their requests.
  void prepare_for_fork();

 private:
  void ping();
  std::string authorization(const std::vector<std::string>& scopes, bool refresh);
  std::string fetch_token(const std::vector<std::string>& scopes);
  void load_credentials();
  [[noreturn]] void auth_failed(const http::Response& r, const std::string& url);

  std::string registry_;
  std::string host_;  // API host
  RegistryOptions options_;
  std::unique_ptr<http::Client> http_;
  std::string base_url_;
  http::Origin origin_;  // of base_url_: where the registry's credentials may go
  std::optional<Challenge> challenge_;
  bool credentials_loaded_ = false;
  std::optional<Credentials> credentials_;
  std::map<std::string, std::string> tokens_;  // scopes joined -> bearer token
  uint64_t bytes_before_ = 0;  // sent by the connections prepare_for_fork() closed
};

// A Session for REGISTRY: a new one, or, once share_sessions() was called,
// the one this process keeps for REGISTRY (and OPTIONS' network settings),
// so that a build's base pull, its blob queries and its push ping once,
// look up credentials once and keep their tokens.
std::shared_ptr<Session> open_session(const std::string& registry, const RegistryOptions& options);

// A fleet (cli/build_fleet.h), before it forks its builds: from now on
// open_session() keeps one Session per registry, and each of REGISTRIES is
// prepared (Session::prepare_for_fork) here, once, for all of them. A
// registry that can not be reached or asked is left for each build to
// report in its own words.
void share_sessions(const std::vector<std::string>& registries, const RegistryOptions& options);

// The registry's error document ({"errors":[{"code","message"}]}) as one line.
std::string registry_error_text(const http::Response& r);

}  // namespace xb::registry
