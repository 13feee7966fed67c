#include "render/template.h"

#include <filesystem>

#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {

static std::pair<std::string, std::string> load_template(std::string_view name, const RenderOptions& options) {
  if (!options.templates_dir.empty()) {
    fs::path p = fs::path(options.templates_dir) / name;
    if (fs::exists(p)) return {read_file(p), p.string()};
  }
  std::string key = "templates/" + std::string(name);
  auto embedded = embedded_file(key);
  if (!embedded) fail_runtime("template " + std::string(name) + " is not embedded in this xraybake");
  return {std::string(*embedded), "(embedded) " + key};
}

std::string render_template(std::string_view name, const kainjow::mustache::data& data, const Escape& escape,
                            const RenderOptions& options) {
  auto [text, origin] = load_template(name, options);
  kainjow::mustache::mustache tmpl(text);
  if (!tmpl.is_valid())
    fail_input("template " + origin + ": " + tmpl.error_message(), "fix the template or remove it from --templates");
  tmpl.set_custom_escape(escape);
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid())
    fail_input("template " + origin + ": " + tmpl.error_message(), "fix the template or remove it from --templates");
  return out;
}

kainjow::mustache::data mustache_list(std::vector<kainjow::mustache::data> items) {
  kainjow::mustache::data list{kainjow::mustache::data::type::list};
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].set("last", i + 1 == items.size());
    list.push_back(items[i]);
  }
  return list;
}

}  // namespace xb
