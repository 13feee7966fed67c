// Layers of in-memory entries (a service's layer: its cfg.yaml, init.conf,
// entrypoint) made ahead, and remembered by what they hold: a fleet makes
// its services' while its first build runs (a core is idle then), and the
// builds it forks take the bytes instead of compressing them, each in a
// process of its own. A build finds one only for exactly its own entries,
// mtime and compression (the key is their SHA-256), so it writes the bytes
// it would have made. A single build makes none ahead and finds none.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fetch/lockfile.h"
#include "oci/compression.h"
#include "oci/layer_writer.h"

namespace xb::build {

struct MadeLayer {
  std::string bytes;              // the tarball, as write_layer wrote it
  oci::BlobDigests blob;
  std::vector<PinnedFile> files;  // its regular files, read back from it (the SBOM's)
};

// What ENTRIES, MTIME and C make; empty when an entry is streamed (not in memory).
std::string made_layer_key(const std::vector<oci::LayerEntry>& entries, int64_t mtime, oci::Compression c);

// Makes the layer in SCRATCH (a directory of the caller's; the file is removed) and remembers it.
void make_layer_ahead(std::vector<oci::LayerEntry> entries, int64_t mtime, oci::Compression c,
                      const std::filesystem::path& scratch);

// The layer made ahead under KEY, if any.
const MadeLayer* made_layer(const std::string& key);

}  // namespace xb::build
