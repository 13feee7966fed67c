// An OCI image layout on disk (oci-layout, index.json, blobs/<alg>/<hex>):
// the one place that finds a blob, reads index.json and picks the entry a tag
// names, and writes an index. Base images, pulls and pushes all go through it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace xb::oci {

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

// "oci:DIR[:TAG]" split up, as skopeo and podman read it: the tag follows
// the last colon unless that colon is part of a path component. DIR as
// written (relative paths stay relative); TAG empty when not given.
struct LayoutReference {
  std::string dir;
  std::string tag;
};
// Whether TEXT names a local layout ("oci:...") rather than a registry image.
inline bool is_layout_reference(std::string_view text) { return text.starts_with("oci:"); }
// TEXT with or without its "oci:" prefix.
LayoutReference parse_layout_reference(std::string_view text);

// DIR/blobs/sha256/<hex> for a "sha256:<64 lower-case hex>" digest; any
// other digest is bad input (a hostile index never names a path outside blobs/).
std::filesystem::path blob_path(const std::filesystem::path& dir, const std::string& digest);

// DIR/index.json, parsed: bad input when DIR is not a layout or it is not an
// index. NOUN names DIR in the message ("base image DIR: no such directory").
nlohmann::json read_index(const std::filesystem::path& dir, const std::string& noun = "image layout");

// An index entry's org.opencontainers.image.ref.name, "" when it has none.
inline std::string ref_name(const nlohmann::json& entry) {
  return entry.value("annotations", nlohmann::json::object()).value(kRefNameAnnotation, "");
}

// The index entry whose ref.name annotation is TAG. An empty TAG is "latest",
// or the only image entry of an index that has one (OCI 1.1 artifacts such
// as an SBOM, and the sha256-<hex> referrers indexes listing them, are not images). Bad input naming the tags there are.
nlohmann::json find_tagged(const std::filesystem::path& dir, const nlohmann::json& index, const std::string& tag,
                           const std::string& noun = "image layout");
inline nlohmann::json find_tagged(const std::filesystem::path& dir, const std::string& tag,
                                  const std::string& noun = "image layout") {
  return find_tagged(dir, read_index(dir, noun), tag, noun);
}

// Writes DIR/oci-layout and an index.json whose one entry is ENTRY, each atomically.
void write_index(const std::filesystem::path& dir, const nlohmann::json& entry);
// The same with DESCRIPTOR annotated with TAG.
void write_layout_index(const std::filesystem::path& dir, nlohmann::json descriptor, const std::string& tag);

}  // namespace xb::oci
