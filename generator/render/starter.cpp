#include "render/starter.h"

#include "render/escape.h"
#include "render/template.h"

namespace xb {

std::string render_starter(const std::string& name, const std::string& base, const std::string& kind,
                           const std::string& version, const RenderOptions& options) {
  kainjow::mustache::data d;
  d.set("name", name);
  d.set("base", base);
  d.set("agent_kind", kind);
  d.set("agent_version", version);
  // A JSON string is a valid YAML double-quoted scalar.
  return render_template("xraybake.yaml.mustache", d, [](const std::string& v) { return json_quote(v); }, options);
}

}  // namespace xb
