// The whole image: for each platform the agent layer (streamed out of the
// .deb), the supervisor layer and the shared service layer, written to
// OUT/layers/ and, byte for byte the same, into the OCI image layout OUT/oci
// on top of the base's layers, with one manifest per platform and an index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deb/deb_reader.h"
#include "fetch/lockfile.h"
#include "oci/compression.h"
#include "oci/image_config.h"
#include "oci/layer_writer.h"
#include "oci/layout_writer.h"

namespace xb::build {

struct DebInput {
  std::string arch;  // "amd64"
  std::string url;
  std::string sha256;
  uint64_t size = 0;
  std::filesystem::path path;
  std::string version;              // the package's, from its control file (fetch.h)
  std::optional<LayerPin> layer;    // the daemon layer xraybake.lock records for this .deb: the only cached one used
  std::optional<PackageFacts> package;  // what xraybake.lock records of its control file
  // Non-empty: there is no .deb here (PATH is empty): the agent layer is
  // LAYER, a blob this repository ("host/name") of a registry holds. It is
  // not written to OUT: OUT/oci lists it without holding it (build.json's
  // "remote_blobs"), and a push mounts or skips it.
  std::string remote_repository;
};

// The agent's layer: which file of its .deb goes where, and what it is called.
struct AgentLayerSpec {
  std::string kind;          // "xray-daemon": layers/<kind>-<arch>.tar.gz, labels io.xraybake.<kind>.*
  std::string package;       // what the .deb's control must say in Package:
  std::string binary_from;   // in data.tar, without "./": "usr/bin/xray"
  std::string binary_to;     // in the image: "/usr/bin/xray"
  std::string source_hint;   // when the .deb is not that package: "check xray.url (or XRAYBAKE_DAEMON_URL) ..."
  struct File {
    std::string from, to;
    uint32_t mode = 0755;
  };
  std::vector<File> also;    // more files of the .deb in the layer (the CloudWatch agent's start program, ...)
};

struct ImageRequest {
  std::filesystem::path out_dir;          // OUT, normally a StagingDir: layers/ and oci/ go here
  std::filesystem::path base_layout;      // a local OCI layout (oci:DIR, or a registry base pulled into one)
  std::string base_tag;                   // empty: "latest", or the layout's only image
  std::string base_name;                  // service.base as written (labels, annotations)
  std::string image_name;                 // service.tag, "orders-api:1.4.2"
  std::string title;                      // service.name
  std::vector<std::string> platforms;     // "linux/amd64", ...
  std::vector<DebInput> debs;             // one per platform, matched by arch
  AgentLayerSpec agent;                   // what is taken out of each .deb
  std::vector<oci::LayerEntry> service_files;  // layers/service.tar.gz
  std::vector<oci::LayerEntry> app_files;      // layers/app.tar.gz (app_layer.h), the last layer; none when empty
  oci::ConfigChanges config;                   // the same for every platform; labels are added per platform
  int64_t epoch = 0;                      // SOURCE_DATE_EPOCH: every timestamp
  deb::Limits limits;
  std::filesystem::path layer_cache;      // the cache dir: agent layers kept by .deb digest (layer_cache.h); empty: none
  oci::Compression compression = oci::Compression::gzip;  // of the added layers (service.compression)
};

struct LayerResult {
  std::string file;  // relative to OUT: "layers/xray-daemon-amd64.tar.gz"
  oci::BlobDigests blob;
  std::string remote_repository;  // non-empty: FILE is not in OUT, the blob is in this repository (DebInput)
  // Its regular files, when already read back from the file (the SBOM's; empty: not read yet).
  std::vector<PinnedFile> files;
};

// A blob OUT/oci references without holding it (the OCI image layout allows
// that: "the missing blobs SHOULD be fulfilled by an external blob store").
struct RemoteBlob {
  std::string digest;
  uint64_t size = 0;
  std::string media_type;
  std::string repository;  // "host/name" that holds it
  std::string file;        // what OUT/layers would have called it
};

struct PlatformResult {
  std::string platform;  // "linux/amd64"
  oci::BlobRef manifest;
  oci::BlobRef config;
  std::vector<nlohmann::json> layers;  // the manifest's layer descriptors, base first
  std::vector<std::string> added;      // the files of the added layers, in order
  std::string daemon_version;          // from the .deb's control file
  DebInput deb;
  std::string base_manifest_digest;    // the base's manifest for this platform
};

struct ImageResult {
  oci::BlobRef index;  // the image index that OUT/oci/index.json points at
  std::string created;
  std::string ref_name;  // the tag part of image_name
  std::vector<PlatformResult> platforms;
  std::vector<LayerResult> layers;  // every added layer: the files in OUT/layers, and those left in a registry
  std::vector<RemoteBlob> remote_blobs;  // blobs OUT/oci lists but does not hold
};

// Layer file names (relative to OUT): "layers/" STEM and C's extension (".tar.gz", ".tar.zst").
std::string layer_file(std::string_view stem, oci::Compression c);
std::string agent_layer_file(const AgentLayerSpec& agent, const std::string& arch,
                             oci::Compression c = oci::Compression::gzip);
std::string init_layer_file(const std::string& arch, oci::Compression c = oci::Compression::gzip);

// The agent layer's key (layer_cache.h) for the .deb with DEB_SHA256: in the
// layer cache and a fleet's store (fleet_store.h).
std::string agent_layer_key(const AgentLayerSpec& agent, const std::string& deb_sha256, const std::string& arch,
                            int64_t epoch, oci::Compression c);
std::string agent_layer_key(const ImageRequest& request, const DebInput& deb);

// "orders-api:1.4.2" -> "1.4.2"; no tag -> "latest".
std::string tag_of(const std::string& image_name);

// Throws xb::Error: bad_input for a bad package or base, runtime for I/O.
ImageResult build_image(const ImageRequest& request);

// What OUT/build.json says about it.
nlohmann::json build_report(const ImageRequest& request, const ImageResult& result);

}  // namespace xb::build
