// libFuzzer target: every text output rendered from a descriptor that parses.
// No value may add a Dockerfile instruction, an init.conf key, a JSON field of
// the ECS fragment or a cfg.yaml key that the templates do not write: a
// descriptor is data. A violated invariant aborts (a finding).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "render/render.h"
#include "util/error.h"

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void require(bool ok) {
  if (!ok) abort();
}

// One instruction a line (no continuations), each the templates' own, and
// exactly as many of each as the template writes.
void check_dockerfile(const std::string& df, const xb::Descriptor& d) {
  std::map<std::string, size_t> count;
  for (const auto& l : lines(df)) {
    if (l.empty() || l[0] == '#') continue;
    std::string word = l.substr(0, l.find(' '));
    static const std::set<std::string> kWords{"FROM", "ARG", "ADD", "LABEL", "ENV", "WORKDIR", "USER",
                                              "EXPOSE", "STOPSIGNAL", "ENTRYPOINT", "CMD"};
    require(kWords.count(word) == 1);
    require(l.back() != '\\');
    ++count[word];
  }
  require(count["FROM"] == 1 && count["USER"] == 1 && count["ENTRYPOINT"] == 1 && count["CMD"] <= 1);
  require(count["ADD"] == (d.service.files.empty() ? 3u : 4u) && count["STOPSIGNAL"] == 1 && count["WORKDIR"] == (d.service.workdir ? 1u : 0u));
  require(count["LABEL"] == d.service.labels.size() && count["EXPOSE"] == d.service.ports.size());
  require(count["ENV"] == xb::image_env(d).size());
}

void check_init_conf(const std::string& conf) {
  static const std::set<std::string> kKeys{"daemon",        "daemon-arg",  "ready-udp",   "ready",
                                           "ready-timeout", "flush-grace", "stop-timeout", "max-backoff",
                                           "daemon-env",    "daemon-log"};
  for (const auto& l : lines(conf)) {
    if (l.empty() || l[0] == '#') continue;
    auto eq = l.find(" = ");
    require(eq != std::string::npos && kKeys.count(l.substr(0, eq)) == 1);
  }
}

void check_ecs(const std::string& text, const xb::Descriptor& d) {
  auto j = nlohmann::json::parse(text);  // throws on bad JSON: not xb::Error, so a finding
  static const std::set<std::string> kFields{"name",         "image",          "essential",    "stopTimeout",
                                             "user",         "workingDirectory", "portMappings", "environment",
                                             "dockerLabels", "memoryReservation", "healthCheck", "logConfiguration"};
  for (const auto& [k, _] : j.items()) require(kFields.count(k) == 1);
  require(j["environment"].size() == xb::image_env(d).size());
  require(j["dockerLabels"].size() == d.service.labels.size());
  // The health check runs the supervisor without a shell, whatever the descriptor says.
  require(j["healthCheck"]["command"] == nlohmann::json(xb::health_check_command()));
  require(j.contains("logConfiguration") == !d.ecs.log_region.empty());
  if (j.contains("logConfiguration")) require(j["logConfiguration"]["logDriver"] == "awslogs");
  // The task around it holds exactly this container.
  auto task = nlohmann::json::parse(xb::render_ecs_register_task_definition(d, text));
  require(task["containerDefinitions"].size() == 1 && task["containerDefinitions"][0] == j);
  require(task["family"] == d.ecs.family);
}

// The agent's config: the daemon's cfg.yaml is Version 2; a collector's YAML
// has its service section; the CloudWatch agent's JSON a traces key.
// Either way one mapping, nothing a value added.
void check_agent_config(const xb::agents::ConfigFile& file, const xb::agents::Agent& agent) {
  if (agent.kind() == "cloudwatch-agent") {
    auto j = nlohmann::json::parse(file.content);  // agent.config may replace traces: the schema check is build's
    require(j.is_object() && j.contains("traces"));
    return;
  }
  YAML::Node cfg = YAML::Load(file.content);
  require(cfg.IsMap());
  if (agent.kind() == "xray-daemon")
    require(cfg["Version"].as<int>() == 2);
  else
    require(cfg["service"].IsMap() && cfg["service"]["pipelines"].IsMap());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  xb::Descriptor d;
  try {
    // Beside "/", so that service.files may name what exists (from: ., from: etc) and the app's ADD is rendered.
    d = xb::agents::parse_descriptor(text, "/xraybake.yaml");
  } catch (const xb::Error&) {
    return 0;
  }
  xb::RenderOptions options;
  check_dockerfile(xb::render_dockerfile(d, options), d);
  check_init_conf(xb::render_init_conf(d, options));
  check_ecs(xb::render_ecs_task_definition(d, options), d);
  const xb::agents::Agent& agent = xb::agents::agent_for(d);
  for (const auto& file : agent.config_files(d)) check_agent_config(file, agent);
  require(xb::render_entrypoint(d, options).starts_with("#!/bin/sh\n"));
  return 0;
}
