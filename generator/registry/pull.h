// Pulling an image from a registry into a local OCI layout in the cache, so
// the build reads a registry base exactly like an oci:DIR:TAG base. The index
// (or manifest) is kept byte for byte; for an index only the manifests of the
// requested platforms are fetched. Every blob is verified by digest and
// cached by digest (CACHE/blobs/sha256/).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "registry/options.h"

namespace xb::registry {

struct PullResult {
  std::filesystem::path layout_dir;  // CACHE/registry/images/<registry>/<repository>/<tag or digest>
  std::string tag;                   // the ref.name in its index.json
  std::string digest;                // of the index or manifest the reference named
  std::string media_type;
  uint64_t bytes_downloaded = 0;     // blobs that were not in the cache yet
  // "oci:DIR:TAG", what service.base would say for the layout.
  std::string oci_reference() const { return "oci:" + layout_dir.string() + ":" + tag; }
};

// REF is a registry reference ("alpine:3.19", "127.0.0.1:5000/base@sha256:...");
// PLATFORMS as in the descriptor ("linux/amd64"). With options.offline the
// layout a previous pull left in the cache is used, else an error (exit 1).
PullResult pull(const std::string& ref, const std::vector<std::string>& platforms, const RegistryOptions& options);

// service.base as the build reads it: "oci:..." is returned unchanged; a
// registry reference is pulled and its layout's "oci:DIR:TAG" returned.
std::string resolve_base(const std::string& base, const std::vector<std::string>& platforms,
                         const RegistryOptions& options);

}  // namespace xb::registry
