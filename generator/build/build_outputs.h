// What `xraybake build` writes after the text outputs, from the descriptor
// and the fetched .debs: OUT/layers/*.tar.gz, the OCI layout OUT/oci/ and
// OUT/build.json. OUT is normally the build's StagingDir.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "descriptor/descriptor.h"
#include "fetch/fetch.h"
#include "build/image_builder.h"
#include "render/render.h"

namespace xb::build {

// Where the base image is, as a local OCI layout: oci:DIR[:TAG] from the
// descriptor, or a registry base already pulled into a layout.
struct BaseLayout {
  std::filesystem::path dir;
  std::string tag;  // empty: "latest" (or the only image)
};

// The layout of an oci:DIR[:TAG] base. Throws xb::Error(bad_input) for a
// registry reference (to be pulled by the registry module first).
BaseLayout local_base_layout(const Descriptor& desc);

// The base's Entrypoint + Cmd for the first platform: RenderOptions::base_command.
std::vector<std::string> base_image_command(const Descriptor& desc, const BaseLayout& base);

// SOURCE_DATE_EPOCH, or 0 when unset. Throws xb::Error(bad_input) when it is
// not a whole number of seconds.
int64_t source_date_epoch();

// What xraybake.lock records of one platform's agent .deb and layer, besides
// the layer's digests, so that a later build can do without the .deb.
struct AgentFacts {
  PackageFacts package;           // its control file's facts
  std::string version;            // its control file's Version (xraybake.lock's entry has it already)
  std::vector<PinnedFile> files;  // the agent layer's regular files, as the SBOM lists them
};

struct BuildOutputs {
  ImageResult image;
  nlohmann::json report;  // the content of OUT/build.json
  std::map<std::string, AgentFacts> agent;  // by arch
};

// What the agent layer of DESC takes out of its .deb (agents/: the kind's layer_files()).
AgentLayerSpec agent_layer_spec(const Descriptor& desc);

// Writes DESC's service layer into OUT_DIR/layers/ ahead (build/made_layers.h):
// what a build of a fleet does while it waits for its agent's layers.
void prepare_service_layer(const Descriptor& desc, const RenderOptions& options, const std::filesystem::path& out_dir);

// Writes OUT/layers/, OUT/oci/ and OUT/build.json. CACHE_DIR (the download
// cache): daemon layers are kept there and reused by .deb digest; empty: none.
// APP_SKIP: directories service.files never takes (the final OUT and its
// staging directory, when they are inside the app's tree).
BuildOutputs write_image_outputs(const Descriptor& desc, const std::vector<FetchedDeb>& debs,
                                 const std::filesystem::path& out_dir, const BaseLayout& base,
                                 const RenderOptions& options, const std::filesystem::path& cache_dir = {},
                                 const std::vector<std::filesystem::path>& app_skip = {});

}  // namespace xb::build
