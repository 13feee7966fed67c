#include "descriptor/image_names.h"

#include <regex>
#include <string>

namespace xb {

// The grammar of github.com/distribution/reference.
static const std::string kComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
static const std::string kDomain =
    "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?";
static const std::string kRepository = kDomain + kComponent + "(?:/" + kComponent + ")*";
static const std::string kTag = "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?";

bool valid_image_name(std::string_view name) {
  static const std::regex re(kComponent);
  return name.size() <= 128 && std::regex_match(name.begin(), name.end(), re);
}

bool valid_image_tag_ref(std::string_view ref) {
  static const std::regex re(kRepository + kTag);
  // "1.2" is the grammar's name of a repository, but meant as a tag without one.
  static const std::regex version_only("[0-9]+(?:\\.[0-9]+)*(?::[^/]*)?");
  return ref.size() <= 255 && std::regex_match(ref.begin(), ref.end(), re) &&
         !std::regex_match(ref.begin(), ref.end(), version_only);
}

bool valid_image_reference(std::string_view ref) {
  static const std::regex re(kRepository + kTag + "(?:@sha256:[a-f0-9]{64})?");
  return ref.size() <= 400 && std::regex_match(ref.begin(), ref.end(), re);
}

}  // namespace xb
