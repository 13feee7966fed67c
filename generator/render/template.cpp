#include "render/template.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

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

namespace {

// Each template's text parsed once per process (by its text, so an edited
// --templates file is parsed anew), and in a fleet once before its builds
// fork (preload_templates). Renders are serialized: a parsed template keeps
// its escape function and its error.
struct Parsed {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>, std::less<>> by_text;
};
Parsed& parsed() {
  static Parsed p;
  return p;
}
kainjow::mustache::mustache& parse(const std::string& text) {
  auto& slot = parsed().by_text[text];
  if (!slot) slot = std::make_unique<kainjow::mustache::mustache>(text);
  return *slot;
}

}  // namespace

void preload_templates(const RenderOptions& options) {
  std::lock_guard<std::mutex> lock(parsed().mutex);
  for (const auto& [key, text] : embedded_files())
    if (key.starts_with("templates/") && key.ends_with(".mustache")) try {
        parse(load_template(key.substr(std::string_view("templates/").size()), options).first);
      } catch (const Error&) {
        // the build that renders it says what is wrong
      }
}

std::string render_template(std::string_view name, const kainjow::mustache::data& data, const Escape& escape,
                            const RenderOptions& options) {
  auto [text, origin] = load_template(name, options);
  std::lock_guard<std::mutex> lock(parsed().mutex);
  kainjow::mustache::mustache& tmpl = parse(text);
  if (!tmpl.is_valid())
    fail_input("template " + origin + ": " + tmpl.error_message(), "fix the template or remove it from --templates");
  tmpl.set_custom_escape(escape);
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid()) {
    const std::string message = tmpl.error_message();
    parsed().by_text.erase(text);  // its error stays with it: the next render parses it anew
    fail_input("template " + origin + ": " + message, "fix the template or remove it from --templates");
  }
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
