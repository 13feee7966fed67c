// Image references as docker parses them: "alpine" is docker.io/library/alpine:latest,
// a first component with a dot, a colon or "localhost" is a registry host.
#pragma once

#include <string>
#include <string_view>

namespace xb::registry {

inline constexpr std::string_view kDockerHub = "docker.io";

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "123.dkr.ecr.us-east-2.amazonaws.com"
  std::string repository;  // "library/alpine"
  std::string tag;         // "3.19"; empty only when a digest is given
  std::string digest;      // "sha256:<64 hex>" or empty

  // Host (and port) the distribution API is served on: docker.io -> registry-1.docker.io.
  std::string api_host() const;
  // What the manifest is fetched by: the digest if there is one, else the tag.
  const std::string& identifier() const { return digest.empty() ? tag : digest; }
  // "registry/repository".
  std::string name() const;
  // The fully qualified text: "docker.io/library/alpine:3.19[@sha256:...]".
  std::string str() const;
};

// Parses TEXT (docker's normalisation). Throws xb::Error(bad_input) naming
// TEXT and what is wrong with it.
Reference parse_reference(std::string_view text);

// A repository, "host[:port]/name" without tag or digest (a reference's
// name()). Throws xb::Error(bad_input) naming TEXT for anything else.
Reference parse_repository(std::string_view text);

// The same repository on the same registry, another tag or digest.
Reference with_tag(Reference ref, std::string tag);

}  // namespace xb::registry
