// Registry credentials the way docker and crane find them:
// $DOCKER_CONFIG/config.json (else ~/.docker/config.json), its credHelpers
// for the host, then credsStore, then the base64 "auth" of auths.
#pragma once

#include <optional>
#include <string>

namespace xb::registry {

struct Credentials {
  std::string username;
  std::string secret;  // password or token
  std::string source;  // where they came from, for messages: "config.json auths", "docker-credential-ecr-login"
};

// The config.json docker reads ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
std::string docker_config_path();

// Credentials for REGISTRY ("docker.io", "localhost:5000"), or nullopt for
// anonymous access. Throws xb::Error(runtime) when config.json is unreadable
// JSON or a credential helper fails for another reason than "not found".
std::optional<Credentials> find_credentials(const std::string& registry);

// Runs `docker-credential-HELPER get` with SERVER on stdin (the protocol of
// docker-credential-helpers). nullopt when the helper knows no credentials.
std::optional<Credentials> run_credential_helper(const std::string& helper, const std::string& server);

}  // namespace xb::registry
