// Layers of in-memory entries (a service's layer: its cfg.yaml, init.conf,
// entrypoint) written ahead, into the very place its build then writes them:
// a build of a fleet that starts beside the first build of its agent writes
// its service layer before it waits for that build (a core is idle then,
// cli/cmd_build.cpp), and build_image() takes the file instead of writing it
// again. It is remembered by what it holds (the key is the SHA-256 of its
// entries, mtime and compression), so a build takes it only for exactly its
// own entries: the bytes it would have made. A single build makes none ahead.
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
  std::filesystem::path file;     // where it was written
  oci::BlobDigests blob;
  std::vector<PinnedFile> files;  // its regular files, read back from it (the SBOM's), before the wait
};

// The regular files of the layer FILE, read back from it, as the SBOM and
// xraybake.lock list them (supply::layer_contents).
std::vector<PinnedFile> read_layer_files(const std::filesystem::path& file);

// What ENTRIES, MTIME and C make; empty when an entry is streamed (not in memory).
std::string made_layer_key(const std::vector<oci::LayerEntry>& entries, int64_t mtime, oci::Compression c);

// Writes the layer to FILE and remembers it, with its files.
void make_layer_ahead(std::vector<oci::LayerEntry> entries, int64_t mtime, oci::Compression c,
                      const std::filesystem::path& file);

// The layer written ahead under KEY, if any.
const MadeLayer* made_layer(const std::string& key);

}  // namespace xb::build
