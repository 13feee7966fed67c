// Writing an OCI image layout: content-addressed blobs (JSON written
// canonically, layer files hard-linked or copied, never recompressed),
// oci-layout and index.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace xb::oci {

struct BlobRef {
  std::string media_type;
  std::string digest;  // "sha256:..."
  uint64_t size = 0;

  nlohmann::json descriptor() const { return {{"mediaType", media_type}, {"digest", digest}, {"size", size}}; }
};

class LayoutWriter {
 public:
  // Creates DIR/blobs/sha256 and DIR/oci-layout. DIR lies in a StagingDir,
  // whose commit() syncs what is written here.
  explicit LayoutWriter(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  // Serialises J (sorted keys, compact) as a blob.
  BlobRef put_json(const nlohmann::json& j, std::string media_type);
  // FILE, whose digest and size the caller knows, as a blob: a hard link when
  // possible, else a copy.
  void put_file(const std::filesystem::path& file, const std::string& digest, uint64_t size);
  // index.json with one entry.
  void write_index(const nlohmann::json& entry);

 private:
  std::filesystem::path dir_;
};

}  // namespace xb::oci
