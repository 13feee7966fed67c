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
std::string render_ecs_task_definition(const Descriptor& desc, const RenderOptions& options);
// /etc/xraybake/init.conf: the supervisor's options (DEVELOPERS.md).
std::string render_init_conf(const Descriptor& desc, const RenderOptions& options);

// Writes Dockerfile, docker-entrypoint.sh (0755), ecs-task-definition.json and
// the agent's rendered config (cfg.yaml for the X-Ray daemon, agent/... for the
// others) into DIR, a StagingDir: unsynced until its commit().
void write_text_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options);

}  // namespace xb
