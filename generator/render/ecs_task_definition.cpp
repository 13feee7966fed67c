// OUT/ecs-task-definition.json: the container definition fragment. App and
// daemon share the container's loopback, so no UDP port mapping is needed.
// memoryReservation is what the agent needs; add the app's own.
#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "render/escape.h"
#include "render/render.h"
#include "render/template.h"
#include "util/error.h"

namespace xb {

using kainjow::mustache::data;

std::string render_ecs_task_definition(const Descriptor& desc, const RenderOptions& options) {
  const auto& s = desc.service;
  data d;
  d.set("name", s.name);
  d.set("image", s.tag);
  // ECS counts whole seconds: round up so the supervisor's budget is never cut.
  d.set("stop_timeout_seconds", std::to_string((s.stop_timeout.count() + 999) / 1000));
  d.set("user", user_string(s));
  // What the agent adds to the app's memory (what it is held to: GOMEMLIMIT,
  // memory_limiter, its buffer); the app's own share comes on top.
  d.set("memory_reservation", std::to_string(agents::agent_for(desc).memory_mib(desc)));
  if (s.workdir) d.set("workdir", *s.workdir);
  std::vector<data> ports;
  for (const auto& p : s.ports) {
    auto slash = p.find('/');
    if (p.substr(slash + 1) != "tcp") continue;
    ports.push_back(data("port", p.substr(0, slash)));
  }
  d.set("ports", mustache_list(ports));
  d.set("env", mustache_pairs(image_env(desc), "name", "value"));
  d.set("labels", nlohmann::json(s.labels).dump());
  std::string out = render_template("ecs-task-definition.json.mustache", d,
                                    [](const std::string& v) { return json_quote(v); }, options);
  if (!nlohmann::json::accept(out))
    fail_input("ecs-task-definition.json.mustache renders invalid JSON", "fix the template given with --templates");
  return out;
}

}  // namespace xb
