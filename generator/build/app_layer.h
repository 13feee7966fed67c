// layers/app.tar.gz: the app itself, from service.files (design.md "App
// files"). Directories are walked without following a symbolic link (a link
// is stored as a link, never read through), service.exclude applied to what
// they bring, everything owned by root: directories 0755, files 0755 when
// their owner may execute them, else 0644, or the entry's `mode`. No
// timestamp, owner or order of the build machine gets into the layer.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "descriptor/descriptor.h"
#include "oci/layer_writer.h"

namespace xb::build {

struct AppLayerInput {
  // Directories never walked into (OUT, its staging directory); a directory
  // holding an earlier output's marker (.xraybake-output) is skipped too.
  std::vector<std::filesystem::path> skip;
  // What xraybake's own layers put in the image (the agent's binary, the
  // supervisor, the service layer's files): the app may neither replace one
  // nor put anything inside one.
  std::vector<std::string> reserved;
};

// The layer's entries, sorted by path; file contents are read only when the
// layer is written (each opened with O_NOFOLLOW and checked to be the file
// that was walked). Throws xb::Error(bad_input) at the service.files entry
// for a path that collides (with a reserved one, or a file with a directory)
// and for what a layer can not hold (a socket, a device, a FIFO).
std::vector<oci::LayerEntry> app_layer_entries(const Descriptor& desc, const AppLayerInput& input);

}  // namespace xb::build
