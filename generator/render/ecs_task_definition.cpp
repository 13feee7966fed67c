// OUT/ecs-task-definition.json: the container definition. App and agent
// share the container's loopback, so no UDP port mapping is needed.
// memoryReservation is what the agent needs; add the app's own. Its health
// check is the supervisor's readiness probe (no shell in the image needed),
// its logs go to CloudWatch Logs (awslogs) when a region is known.
// OUT/ecs-register-task-definition.json wraps it in the task (ecs: section).
#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "render/escape.h"
#include "render/render.h"
#include "render/template.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {

using kainjow::mustache::data;

std::string render_ecs_task_definition(const Descriptor& desc, const RenderOptions& options) {
  const auto& s = desc.service;
  data d;
  d.set("name", s.name);
  d.set("image", options.image.empty() ? s.tag : options.image);
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
  const EcsSpec& e = desc.ecs;
  auto seconds = [](Millis m) { return std::to_string(m.count() / 1000); };
  d.set("health_command", nlohmann::json(health_check_command()).dump());
  d.set("health_interval", seconds(e.health_interval));
  d.set("health_timeout", seconds(e.health_timeout));
  d.set("health_retries", std::to_string(e.health_retries));
  d.set("health_start_period", seconds(e.health_start_period));
  if (!e.log_region.empty()) {
    data logs;
    logs.set("group", e.log_group);
    logs.set("region", e.log_region);
    logs.set("stream_prefix", e.log_stream_prefix);
    d.set("logs", logs);
  }
  std::string out = render_template("ecs-task-definition.json.mustache", d,
                                    [](const std::string& v) { return json_quote(v); }, options);
  if (!nlohmann::json::accept(out))
    fail_input("ecs-task-definition.json.mustache renders invalid JSON", "fix the template given with --templates");
  return out;
}

std::vector<std::string> health_check_command() {
  return {"CMD", std::string(kInitPath), "--config", std::string(kInitConfPath), "--check"};
}

std::string render_ecs_register_task_definition(const Descriptor& desc, const std::string& container) {
  const EcsSpec& e = desc.ecs;
  nlohmann::ordered_json t;
  t["family"] = e.family;
  if (!e.task_role_arn.empty()) t["taskRoleArn"] = e.task_role_arn;
  if (!e.execution_role_arn.empty()) t["executionRoleArn"] = e.execution_role_arn;
  // Fargate needs awsvpc; on EC2 the default (bridge) serves one container as well.
  if (e.launch_type == "FARGATE") t["networkMode"] = "awsvpc";
  t["containerDefinitions"] = nlohmann::ordered_json::array({nlohmann::ordered_json::parse(container)});
  t["requiresCompatibilities"] = {e.launch_type};
  t["cpu"] = std::to_string(e.cpu);  // strings in the API
  t["memory"] = std::to_string(e.memory);
  // One architecture per task definition: the first platform (the image has them all).
  t["runtimePlatform"] = {{"cpuArchitecture", platform_arch(desc.service.platforms.front()) == "arm64" ? "ARM64" : "X86_64"},
                          {"operatingSystemFamily", "LINUX"}};
  return t.dump(2) + "\n";
}

void write_ecs_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options) {
  const std::string container = render_ecs_task_definition(desc, options);
  write_file_atomic(dir / "ecs-task-definition.json", container);
  write_file_atomic(dir / "ecs-register-task-definition.json", render_ecs_register_task_definition(desc, container));
}

}  // namespace xb
