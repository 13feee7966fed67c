// Just enough of an OCI image layout (oci-layout, index.json, blobs/sha256/)
// to push one from disk and to write a pulled one.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace xb::registry {

namespace fs = std::filesystem;

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

// DIR/blobs/sha256/<hex>.
fs::path layout_blob(const fs::path& dir, const std::string& digest);

// The index.json entry whose ref.name annotation is TAG; with an empty TAG,
// the only entry. Throws xb::Error(bad_input) listing the tags there are.
nlohmann::json find_tagged(const fs::path& dir, const std::string& tag);

// Writes oci-layout and an index.json holding DESCRIPTOR annotated with TAG.
void write_layout_index(const fs::path& dir, nlohmann::json descriptor, const std::string& tag);

}  // namespace xb::registry
