// The text outputs of a build, rendered from the templates in templates/
// (embedded at build time, overridable with --templates DIR), each value
// escaped for its format.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "descriptor/descriptor.h"

namespace xb {

struct RenderOptions {
  std::string templates_dir;  // --templates DIR; empty, or a file missing there: the embedded one
  // The base image's Entrypoint + Cmd, once known: the app command when
  // service.command is empty.
  std::optional<std::vector<std::string>> base_command;
  // The image the ECS task definitions name: after --push its name@digest;
  // empty: service.tag.
  std::string image;
};

// Paths inside the image.
inline constexpr std::string_view kInitPath = "/usr/local/bin/xraybake-init";
inline constexpr std::string_view kInitConfPath = "/etc/xraybake/init.conf";

// The image's Entrypoint: the supervisor reading its config.
std::vector<std::string> image_entrypoint();
// The image's Cmd: service.command, else options.base_command, else empty.
std::vector<std::string> app_command(const Descriptor& desc, const RenderOptions& options);
// The image's Env, in order: what the app needs to find the agent
// (AWS_XRAY_DAEMON_ADDRESS, OTEL_EXPORTER_OTLP_*) first, then service.env.
std::vector<std::pair<std::string, std::string>> image_env(const Descriptor& desc);

std::string render_dockerfile(const Descriptor& desc, const RenderOptions& options);
std::string render_entrypoint(const Descriptor& desc, const RenderOptions& options);
// OUT/ecs-task-definition.json: the container definition (a ContainerDefinition
// of the ECS API), from templates/ecs-task-definition.json.mustache.
std::string render_ecs_task_definition(const Descriptor& desc, const RenderOptions& options);
// OUT/ecs-register-task-definition.json: the RegisterTaskDefinition input
// around CONTAINER (render_ecs_task_definition's JSON), registrable as it is:
// `aws ecs register-task-definition --cli-input-json file://...`.
std::string render_ecs_register_task_definition(const Descriptor& desc, const std::string& container);
// The container's health check command, exec form: the supervisor probing the agent.
std::vector<std::string> health_check_command();
// /etc/xraybake/init.conf: the supervisor's options (DEVELOPERS.md).
std::string render_init_conf(const Descriptor& desc, const RenderOptions& options);

// Writes the ECS task definitions (above) into DIR, each atomically: at the
// end of a build, and again after --push with options.image = name@digest.
void write_ecs_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options);

// Writes Dockerfile, .dockerignore, docker-entrypoint.sh (0755), the ECS task definitions and
// the agent's rendered config (cfg.yaml for the X-Ray daemon, agent/... for the
// others) into DIR, a StagingDir: unsynced until its commit().
void write_text_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options);

}  // namespace xb
