// What the service layer (layers/service.tar.gz) holds: the agent's config
// (the daemon's cfg.yaml, the collector's YAML), the supervisor's config and
// the agent's log directories owned by the service user, with their parents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "descriptor/descriptor.h"
#include "render/render.h"

namespace xb {

struct ImageFile {
  std::string path;     // inside the image, absolute ("/etc/amazon/xray/cfg.yaml")
  std::string content;  // empty for directories
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool directory = false;
};

// Sorted by path, every parent directory listed before what it contains.
std::vector<ImageFile> service_layer_files(const Descriptor& desc, const RenderOptions& options);

}  // namespace xb
