#include "build/layer_cache.h"

#include <unistd.h>

#include <fstream>
#include <random>

#include "util/error.h"
#include "util/file_seal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sha256.h"

#ifndef XRAYBAKE_VERSION
#define XRAYBAKE_VERSION "unknown"
#endif

namespace xb::build {

using namespace xb::oci;  // the OCI library this recipe is made of

namespace fs = std::filesystem;

namespace {

// Bump when the daemon layer's bytes change for the same inputs (layer_writer.cpp, gzip_tee.cpp).
constexpr const char* kDaemonLayerFormat = "daemon-layer/1";

// Copies FROM to TO, returning the sha256 of what was copied; nullopt on any I/O error.
std::optional<std::string> copy_hashing(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return std::nullopt;
  Sha256 h;
  std::string buf(1 << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    h.update(buf.data(), n);
    out.write(buf.data(), static_cast<std::streamsize>(n));
  }
  if (in.bad() || !out.flush()) return std::nullopt;
  return "sha256:" + h.hex();
}

std::optional<std::string> hash_file(const fs::path& file) {
  try {
    return "sha256:" + sha256_file_hex(file.string());
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Writes entry J with BLOB's seal (util/file_seal.h) to META; false when it could not.
bool seal(const fs::path& meta, const fs::path& blob, nlohmann::json j) {
  if (auto now = seal_of(blob)) j["seal"] = *now;
  try {
    write_file_atomic(meta, j.dump() + "\n");
    return true;
  } catch (const Error& e) {
    log::verbose(std::string("layer cache: ") + e.what());
    return false;
  }
}

std::string unique_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  return "." + std::to_string(::getpid()) + "." + std::to_string(rng()) + ".tmp";
}

}  // namespace

LayerCache::LayerCache(fs::path root) : dir_(root.empty() ? fs::path() : root / "layers") {}

std::optional<CachedLayer> LayerCache::get(const std::string& key, const fs::path& dest) const {
  if (!enabled()) return std::nullopt;
  const fs::path meta_path = dir_ / (key + ".json"), blob_path = dir_ / (key + ".tar.gz");
  std::ifstream meta_in(meta_path);
  if (!meta_in) return std::nullopt;
  CachedLayer entry;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(meta_in);
    entry.blob = {j.at("digest").get<std::string>(), j.at("diff_id").get<std::string>(), j.at("size").get<uint64_t>()};
    entry.meta = j.value("meta", nlohmann::json::object());
  } catch (const nlohmann::json::exception&) {
    entry.blob.digest.clear();
  }
  // A hard link when DEST is on the cache's file system (nothing written: the
  // entry is read-only, so the output can't change it), else a copy. The
  // bytes are hashed again unless the entry's seal shows the file untouched
  // since it was hashed.
  std::error_code ec;
  std::optional<std::string> got;
  if (!entry.blob.digest.empty()) {
    const bool sealed = j.contains("seal") && seal_matches(blob_path, j["seal"]);
    fs::create_hard_link(blob_path, dest, ec);
    if (ec) {
      got = copy_hashing(blob_path, dest);
    } else if (sealed) {
      got = entry.blob.digest;
    } else {
      got = hash_file(dest);
      if (got == entry.blob.digest) seal(meta_path, blob_path, j);
    }
  }
  if (got && *got == entry.blob.digest && fs::file_size(dest, ec) == entry.blob.size) return entry;
  if (got || !entry.blob.digest.empty()) log::verbose("layer cache: dropping corrupt entry " + blob_path.string());
  fs::remove(dest, ec);
  fs::remove(meta_path, ec);
  fs::remove(blob_path, ec);
  return std::nullopt;
}

void LayerCache::put(const std::string& key, const fs::path& layer, const CachedLayer& entry) const {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  const fs::path blob_path = dir_ / (key + ".tar.gz");
  fs::path tmp = blob_path;
  tmp += unique_suffix();
  auto copied = copy_hashing(layer, tmp);
  if (!ec && copied && *copied == entry.blob.digest) {
    fs::permissions(tmp, fs::perms(0444), ec);
    fs::rename(tmp, blob_path, ec);
    if (!ec) {
      nlohmann::json j{{"digest", entry.blob.digest}, {"diff_id", entry.blob.diff_id}, {"size", entry.blob.size},
                       {"meta", entry.meta}};
      if (seal(dir_ / (key + ".json"), blob_path, j)) return;
    }
  }
  fs::remove(tmp, ec);
  log::verbose("layer cache: could not keep " + layer.string() + " in " + dir_.string());
}

std::string daemon_layer_key(const std::string& deb_sha256, const std::string& arch, const std::string& binary_path,
                             int64_t epoch) {
  return sha256_hex(std::string(kDaemonLayerFormat) + "\n" + XRAYBAKE_VERSION + "\n" + deb_sha256 + "\n" + arch +
                    "\n" + binary_path + "\n" + std::to_string(epoch));
}

}  // namespace xb::build
