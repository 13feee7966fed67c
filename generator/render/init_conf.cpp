// /etc/xraybake/init.conf: the supervisor's options (DEVELOPERS.md, "The
// supervisor's command line"), one "key = value" per line. The agent says
// what to run and what to wait for; an agent that is only waited for on one
// UDP address, with no environment of its own (the X-Ray daemon), gets the
// ready-udp line it always had.
#include "agents/agent.h"
#include "render/render.h"
#include "render/template.h"

namespace xb {

using kainjow::mustache::data;

static kainjow::mustache::data list_of(const std::string& key, const std::vector<std::string>& items) {
  std::vector<data> out;
  for (const auto& i : items) out.push_back(data(key, i));
  return mustache_list(out);
}

std::string render_init_conf(const Descriptor& desc, const RenderOptions& options) {
  const agents::Agent& agent = agents::agent_for(desc);
  const AgentBasics& basics = agent_basics(desc);
  std::vector<std::string> argv = agent.argv(desc);
  std::vector<std::string> probes = agent.ready_probes(desc);
  std::vector<std::string> env;
  for (const auto& [k, v] : agent.agent_env(desc)) env.push_back(k + "=" + v);
  data d;
  d.set("xraybake_version", XRAYBAKE_VERSION);
  d.set("name", desc.service.name);
  d.set("daemon", argv.front());
  d.set("daemon_args", list_of("arg", std::vector<std::string>(argv.begin() + 1, argv.end())));
  if (probes.size() == 1 && probes.front().starts_with("udp:") && env.empty()) {
    d.set("ready_udp", probes.front().substr(4));
  } else {
    d.set("ready", list_of("probe", probes));
  }
  d.set("daemon_env", list_of("kv", env));
  if (auto log = agent.supervisor_log(desc)) d.set("daemon_log", *log);
  d.set("ready_timeout", format_duration(basics.ready_timeout));
  d.set("flush_grace", format_duration(basics.flush_grace));
  d.set("stop_timeout", format_duration(desc.service.stop_timeout));
  d.set("max_backoff", format_duration(basics.max_backoff));
  // Values go in verbatim: the descriptor refuses newlines in them.
  return render_template("init.conf.mustache", d, [](const std::string& v) { return v; }, options);
}

}  // namespace xb
