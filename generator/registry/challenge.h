// WWW-Authenticate challenges of a registry (RFC 7235): the scheme and its
// parameters, e.g. Bearer realm="https://auth.docker.io/token",service="registry.docker.io".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  // lowercase names: realm, service, scope, error

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Every challenge in the header values (a value may hold several).
std::vector<Challenge> parse_challenges(const std::vector<std::string>& header_values);

// The one to answer: Bearer before Basic; nullopt when neither is offered.
std::optional<Challenge> pick_challenge(const std::vector<std::string>& header_values);

}  // namespace xb::registry
