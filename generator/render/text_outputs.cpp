#include "agents/agent.h"
#include "render/render.h"
#include "util/fs.h"

namespace xb {

void write_text_outputs(const Descriptor& desc, const std::filesystem::path& dir, const RenderOptions& options) {
  write_file(dir / "Dockerfile", render_dockerfile(desc, options));
  write_file(dir / "docker-entrypoint.sh", render_entrypoint(desc, options), fs::perms(0755));
  write_ecs_outputs(desc, dir, options);
  // `docker build OUT` sends only what the Dockerfile ADDs (not oci/, a second copy of every layer).
  write_file(dir / ".dockerignore", "# Written by xraybake: the build context is the Dockerfile and its layers.\n*\n!Dockerfile\n!layers/\n");
  for (const auto& f : agents::agent_for(desc).config_files(desc)) {
    std::filesystem::create_directories((dir / f.out_path).parent_path());
    write_file(dir / f.out_path, f.content);
  }
}

}  // namespace xb
