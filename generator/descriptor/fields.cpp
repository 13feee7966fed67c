#include "descriptor/fields.h"

#include <map>
#include <nlohmann/json.hpp>

#include "descriptor/suggest.h"
#include "util/strings.h"

namespace xb {

YAML::Mark Field::mark() const {
  if (value.IsDefined() && !value.IsNull()) return value.Mark();
  if (key.IsScalar()) return key.Mark();
  return value.IsDefined() ? value.Mark() : YAML::Mark();
}

std::string Field::quoted() const {
  // Never throws on bytes that are not UTF-8 (parse_descriptor refuses them first).
  return nlohmann::json(value.IsScalar() ? value.Scalar() : std::string())
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string unknown_key_message(const std::string& key, const std::string& parent, const std::vector<std::string>& known) {
  auto guess = nearest(key, known);
  return "unknown key \"" + key + "\"" + (parent.empty() ? "" : " in " + parent) +
         (guess ? " (did you mean \"" + *guess + "\"?)" : " (expected one of: " + join(known, ", ") + ")");
}

MapFields::MapFields(Problems& p, const Field& f, std::optional<std::vector<std::string>> known) {
  if (!f.value.IsDefined() || f.value.IsNull()) return;
  if (!f.value.IsMap()) {
    p.add(f.mark(), f.path + ": expected a mapping, got " + kind_of(f.value));
    ok_ = false;
    return;
  }
  std::map<std::string, int> first_line;
  for (auto it = f.value.begin(); it != f.value.end(); ++it) {
    YAML::Node key = it->first;
    if (!key.IsScalar()) {
      p.add(key.Mark(), (f.path.empty() ? "" : f.path + ": ") + "a key must be a plain name, got " + kind_of(key));
      continue;
    }
    const std::string& name = key.Scalar();
    std::string where = f.path.empty() ? "" : " in " + f.path;
    if (auto [seen, fresh] = first_line.emplace(name, key.Mark().line + 1); !fresh) {
      p.add(key.Mark(), "duplicate key \"" + name + "\"" + where + " (first at line " + std::to_string(seen->second) + ")");
      continue;
    }
    if (known && std::find(known->begin(), known->end(), name) == known->end()) {
      p.add(key.Mark(), unknown_key_message(name, f.path, *known));
      continue;
    }
    fields_.push_back(Field{child_path(f.path, name), key, it->second});
  }
}

std::optional<Field> MapFields::get(const std::string& key) const {
  for (const auto& f : fields_)
    if (f.key.Scalar() == key) return f;
  return std::nullopt;
}

std::optional<std::string> read_string(Problems& p, const Field& f) {
  if (f.value.IsScalar()) return f.value.Scalar();
  p.add(f.mark(), f.path + ": expected a string, got " + kind_of(f.value));
  return std::nullopt;
}

std::optional<std::vector<Field>> read_list(Problems& p, const Field& f, const std::string& example) {
  if (!f.value.IsSequence()) {
    p.add(f.mark(), f.path + ": expected a list such as " + example + ", got " + kind_of(f.value));
    return std::nullopt;
  }
  std::vector<Field> items;
  for (size_t i = 0; i < f.value.size(); ++i)
    items.push_back(Field{f.path + "[" + std::to_string(i) + "]", YAML::Node(), f.value[i]});
  return items;
}

std::optional<std::vector<std::string>> read_string_list(Problems& p, const Field& f, const std::string& example) {
  auto items = read_list(p, f, example);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : *items) {
    auto s = read_string(p, item);
    if (s)
      out.push_back(*s);
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Millis> read_duration(Problems& p, const Field& f) {
  auto s = read_string(p, f);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not a duration (a number with ms, s or m, e.g. 30s)");
    return std::nullopt;
  }
  return d;
}

std::optional<Millis> read_positive_duration(Problems& p, const Field& f) {
  auto d = read_duration(p, f);
  if (d && d->count() <= 0) {
    p.add(f.mark(), f.path + ": must be more than 0");
    return std::nullopt;
  }
  return d;
}

}  // namespace xb
