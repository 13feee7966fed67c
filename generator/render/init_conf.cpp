// /etc/xraybake/init.conf: the supervisor's options (DEVELOPERS.md, "The
// supervisor's command line"), one "key = value" per line.
#include "render/render.h"
#include "render/template.h"

namespace xb {

using kainjow::mustache::data;

std::string render_init_conf(const Descriptor& desc, const RenderOptions& options) {
  const auto& x = desc.xray;
  std::vector<std::string> args{"-c", std::string(kDaemonConfigPath)};
  if (x.log != "stdout") {
    args.push_back("-f");
    args.push_back(x.log);
  }
  args.insert(args.end(), x.args.begin(), x.args.end());
  std::vector<data> arg_list;
  for (const auto& a : args) arg_list.push_back(data("arg", a));
  data d;
  d.set("xraybake_version", XRAYBAKE_VERSION);
  d.set("name", desc.service.name);
  d.set("daemon", std::string(kDaemonPath));
  d.set("daemon_args", mustache_list(arg_list));
  d.set("ready_udp", daemon_udp_address(x));
  d.set("ready_timeout", format_duration(x.ready_timeout));
  d.set("flush_grace", format_duration(x.flush_grace));
  d.set("stop_timeout", format_duration(desc.service.stop_timeout));
  d.set("max_backoff", format_duration(x.max_backoff));
  // Values go in verbatim: the descriptor refuses newlines in them.
  return render_template("init.conf.mustache", d, [](const std::string& v) { return v; }, options);
}

}  // namespace xb
