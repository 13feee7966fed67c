// Typed, positioned reading of the descriptor's YAML: each reader checks the
// value's type and reports a problem naming the key path ("service.ports[1]")
// at the value's position, then returns nullopt so reading goes on.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "descriptor/descriptor.h"
#include "descriptor/problems.h"

namespace xb {

struct Field {
  std::string path;  // "service.name", "service.command[2]"
  YAML::Node key;    // a scalar; null for list items and the root
  YAML::Node value;
  // Where to point: the value, or its key when the value is empty.
  YAML::Mark mark() const;
  std::string quoted() const;  // the value's scalar text, JSON-quoted for messages
};

// "a string", "a list", "a mapping", "nothing".
std::string kind_of(const YAML::Node& node);

// The fields of one mapping. With a list of known keys, any other key is a
// problem (with the nearest known key suggested); duplicate keys always are.
// A value that is not a mapping is a problem too (an empty value is an empty mapping).
class MapFields {
 public:
  MapFields(Problems& problems, const Field& field, std::optional<std::vector<std::string>> known);
  std::optional<Field> get(const std::string& key) const;
  const std::vector<Field>& all() const { return fields_; }
  bool ok() const { return ok_; }

 private:
  std::vector<Field> fields_;
  bool ok_ = true;
};

// `unknown key "nmae" in service (did you mean "name"?)`.
std::string unknown_key_message(const std::string& key, const std::string& parent, const std::vector<std::string>& known);

// A key path joined: "service" + "name" -> "service.name".
std::string child_path(const std::string& parent, const std::string& key);

std::optional<std::string> read_string(Problems& p, const Field& f);
// EXAMPLE shows the expected form in the message ("[linux/amd64]").
std::optional<std::vector<Field>> read_list(Problems& p, const Field& f, const std::string& example);
std::optional<std::vector<std::string>> read_string_list(Problems& p, const Field& f, const std::string& example);
std::optional<Millis> read_duration(Problems& p, const Field& f);
// The same, more than 0.
std::optional<Millis> read_positive_duration(Problems& p, const Field& f);

}  // namespace xb
