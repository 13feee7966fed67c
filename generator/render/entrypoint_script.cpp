// OUT/docker-entrypoint.sh: for bases with a shell; it ends by exec'ing the
// supervisor so that signals reach it.
#include "render/escape.h"
#include "render/render.h"
#include "render/template.h"

namespace xb {

using kainjow::mustache::data;

std::string render_entrypoint(const Descriptor& desc, const RenderOptions& options) {
  data d;
  d.set("xraybake_version", XRAYBAKE_VERSION);
  d.set("name", desc.service.name);
  std::vector<data> args;
  for (const auto& a : app_command(desc, options)) args.push_back(data("arg", a));
  d.set("command", mustache_list(args));
  d.set("init", shell_quote(kInitPath));
  d.set("init_conf", shell_quote(kInitConfPath));
  return render_template("docker-entrypoint.sh.mustache", d, [](const std::string& v) { return shell_quote(v); },
                         options);
}

}  // namespace xb
