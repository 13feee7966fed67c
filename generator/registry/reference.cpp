#include "registry/reference.h"

#include <regex>

#include "util/error.h"

namespace xb::registry {

namespace {

// The grammar of github.com/distribution/reference, one path component.
// Each compiled on first use, not when the program starts: most commands
// parse no reference (a build on an OCI layout base that pushes nothing).
const std::regex& component_re() {
  static const std::regex re("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  return re;
}
const std::regex& tag_re() {
  static const std::regex re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return re;
}
const std::regex& digest_re() {
  static const std::regex re("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");
  return re;
}
const std::regex& host_re() {
  static const std::regex re(
      "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");
  return re;
}

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  fail_input("invalid image reference \"" + std::string(text) + "\": " + why,
             "write it as docker does: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], lowercase repository");
}

}  // namespace

std::string Reference::api_host() const {
  return registry == kDockerHub ? "registry-1.docker.io" : registry;
}

std::string Reference::name() const { return registry + "/" + repository; }

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

Reference parse_repository(std::string_view text) {
  Reference ref = parse_reference(text);
  if (ref.name() != text && ref.repository != text)
    fail_input("'" + std::string(text) + "' is not a repository: write HOST/NAME, without tag or digest (" +
                   ref.name() + ")",
               "e.g. registry.example.com/xraybake-cache");
  ref.tag.clear();
  return ref;
}

Reference parse_reference(std::string_view text) {
  if (text.empty()) bad(text, "it is empty");
  Reference ref;
  std::string rest(text);
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
    if (!std::regex_match(ref.digest, digest_re())) bad(text, "the digest must be sha256: and 64 lowercase hex digits");
  }
  // A colon after the last slash separates the tag (a colon before it is a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
    if (!std::regex_match(ref.tag, tag_re())) bad(text, "the tag \"" + ref.tag + "\" is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  auto first = rest.find('/');
  std::string head = rest.substr(0, first);
  if (first != std::string::npos &&
      (head.find_first_of(".:") != std::string::npos || head == "localhost" ||
       head.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)) {
    ref.registry = head;
    ref.repository = rest.substr(first + 1);
    if (!std::regex_match(ref.registry, host_re())) bad(text, "\"" + ref.registry + "\" is not a host[:port]");
  } else {
    ref.registry = std::string(kDockerHub);
    ref.repository = rest;
  }
  if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = kDockerHub;
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.repository.empty()) bad(text, "the repository name is missing");
  size_t start = 0;
  while (true) {
    auto end = ref.repository.find('/', start);
    std::string comp = ref.repository.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!std::regex_match(comp, component_re()))
      bad(text, "\"" + comp + "\" is not a valid repository path component (lowercase letters, digits, . _ -)");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (ref.repository.size() + ref.registry.size() + 1 > 255) bad(text, "the name is longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

Reference with_tag(Reference ref, std::string tag) {
  ref.tag = std::move(tag);
  ref.digest.clear();
  return ref;
}

}  // namespace xb::registry
