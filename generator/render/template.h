// Rendering one of templates/ with kainjow mustache. `{{value}}` goes through
// the format's escape function; `{{{value}}}` is for values already formatted.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <kainjow/mustache.hpp>

#include "render/render.h"

namespace xb {

using Escape = std::function<std::string(const std::string&)>;

// NAME is the file name in templates/ ("Dockerfile.mustache"). A template in
// options.templates_dir wins over the embedded one. Throws xb::Error
// (bad_input) naming the template when it does not parse.
std::string render_template(std::string_view name, const kainjow::mustache::data& data, const Escape& escape,
                            const RenderOptions& options);

// Parses every template a build renders (the embedded ones, or options.templates_dir's
// of the same name) ahead of it: a fleet does this once before its builds fork.
void preload_templates(const RenderOptions& options);

// A mustache list of objects with a "last" flag on the final one (for JSON commas).
kainjow::mustache::data mustache_list(std::vector<kainjow::mustache::data> items);
// The same for key/value pairs: each item has KEY and VALUE set.
template <typename Pairs>
kainjow::mustache::data mustache_pairs(const Pairs& pairs, const std::string& key, const std::string& value) {
  std::vector<kainjow::mustache::data> items;
  for (const auto& [k, v] : pairs) {
    kainjow::mustache::data item;
    item.set(key, k);
    item.set(value, v);
    items.push_back(item);
  }
  return mustache_list(std::move(items));
}

}  // namespace xb
