// The table of agent kinds. Adding a kind: one file defining
// `const Agent& <name>_agent()`, plus one X(<name>) line below.
#include <algorithm>

#include "agents/agent.h"
#include "descriptor/suggest.h"
#include "util/strings.h"

#define XB_AGENT_KINDS(X) \
  X(xray_daemon)          \
  X(adot_collector)        \
  X(otelcol_contrib)      \
  X(cloudwatch_agent)

namespace xb::agents {

#define XB_DECLARE_AGENT(name) const Agent& name##_agent();
XB_AGENT_KINDS(XB_DECLARE_AGENT)
#undef XB_DECLARE_AGENT

namespace {

const std::vector<const Agent*>& table() {
#define XB_LIST_AGENT(name) &name##_agent(),
  static const std::vector<const Agent*> kinds{XB_AGENT_KINDS(XB_LIST_AGENT)};
#undef XB_LIST_AGENT
  return kinds;
}

std::string not_implemented(const std::string& kind) {
  return "agent.kind: " + kind + " is not supported by this xraybake yet (supported: " + join(agent_kinds(), ", ") + ")";
}

// The kind's checks and its notice, at the agent's own position.
void check_agent(Problems& p, Descriptor& desc) {
  // agent: that is not a mapping was reported where it is read; nothing here can look inside it.
  if (desc.agent && !desc.agent->node.IsMap()) return;
  const std::string kind = agent_kind(desc);
  const Agent* agent = find_agent(kind);
  const YAML::Node none;
  const YAML::Node& section = desc.agent ? desc.agent->node : none;  // const: looking up adds no key
  const YAML::Node kind_node = section["kind"];
  if (!agent) {
    if (!kind.empty()) p.add(kind_node.IsDefined() ? kind_node.Mark() : YAML::Mark(), not_implemented(kind));
    return;
  }
  agent->check(p, desc);
  if (auto notice = agent->support_notice(desc)) p.warn(desc.agent_mark, *notice);
  const AgentBasics& basics = agent_basics(desc);
  if (Millis least = agent->min_flush_grace(desc); basics.flush_grace < least) {
    YAML::Mark at;
    if (section["flush_grace"].IsDefined()) at = section["flush_grace"].Mark();
    p.warn(at, agent_section(desc) + ".flush_grace (" + format_duration(basics.flush_grace) + ") is shorter than " +
                   std::string(agent->kind()) + " needs to flush (" + format_duration(least) +
                   ": its batch timeout plus one export request): spans may be lost on shutdown; raise flush_grace");
  }
}

}  // namespace

const Agent* find_agent(std::string_view kind) {
  for (const Agent* a : table())
    if (a->kind() == kind) return a;
  return nullptr;
}

std::vector<std::string> agent_kinds() {
  std::vector<std::string> out;
  for (const Agent* a : table()) out.emplace_back(a->kind());
  return out;
}

const Agent& agent_for(const Descriptor& desc) {
  const std::string kind = agent_kind(desc);
  if (const Agent* a = find_agent(kind)) return *a;
  fail_input(desc.path + ": " + not_implemented(kind), "use agent.kind: " + join(agent_kinds(), " or "));
}

Descriptor load_descriptor(const std::string& path) { return xb::load_descriptor(path, check_agent); }

Descriptor parse_descriptor(std::string_view yaml, const std::string& path) {
  return xb::parse_descriptor(yaml, path, check_agent);
}

std::string source_hint(const Package& pkg) {
  return "check " + pkg.section + ".url" + (pkg.mirror_env.empty() ? "" : " (or " + pkg.mirror_env + ")") + " and " +
         pkg.section + ".sha256";
}

}  // namespace xb::agents
