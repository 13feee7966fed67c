#include "render/service_files.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "agents/agent.h"

namespace xb {

std::vector<ImageFile> service_layer_files(const Descriptor& desc, const RenderOptions& options) {
  std::map<std::string, ImageFile> files;
  auto add_parents = [&](const std::filesystem::path& p) {
    for (auto dir = p.parent_path(); dir != dir.root_path() && !dir.empty(); dir = dir.parent_path()) {
      auto& f = files[dir.string()];
      if (!f.directory) f = ImageFile{dir.string(), "", 0755, 0, 0, true};
    }
  };
  auto add_file = [&](std::string_view path, std::string content) {
    add_parents(std::filesystem::path(path));
    files[std::string(path)] = ImageFile{std::string(path), std::move(content), 0644, 0, 0, false};
  };
  // The agent runs as the service user: it must be able to write its log.
  auto add_user_dir = [&](const std::filesystem::path& dir) {
    add_parents(dir);
    files[dir.string()] = ImageFile{dir.string(), "", 0755, desc.service.uid, desc.service.gid, true};
  };
  const agents::Agent& agent = agents::agent_for(desc);
  for (auto& f : agent.config_files(desc)) add_file(f.path, std::move(f.content));
  add_file(kInitConfPath, render_init_conf(desc, options));
  for (const auto& dir : agent.writable_dirs(desc)) add_user_dir(dir);
  std::vector<ImageFile> out;
  for (auto& [_, f] : files) out.push_back(std::move(f));
  return out;  // std::map order: a parent sorts before its children
}

}  // namespace xb
