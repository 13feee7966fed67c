#include "render/render.h"
#include "util/fs.h"

namespace xb {

void write_text_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options) {
  write_file(dir / "Dockerfile", render_dockerfile(desc, options));
  write_file(dir / "docker-entrypoint.sh", render_entrypoint(desc, options), fs::perms(0755));
  write_file(dir / "ecs-task-definition.json", render_ecs_task_definition(desc, options));
  write_file(dir / "cfg.yaml", render_daemon_config(desc));
}

}  // namespace xb
