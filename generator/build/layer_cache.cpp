#include "build/layer_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "fetch/cache.h"
#include "util/cache_file.h"
#include "util/error.h"
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

// Copies FROM_FD to TO_FD, returning "sha256:<hex>" and the size of what was
// copied; nullopt on any I/O error.
std::optional<std::pair<std::string, uint64_t>> copy_hashing(int from_fd, int to_fd) {
  Sha256 h;
  std::string buf(1 << 20, '\0');
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(from_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(to_fd, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return std::nullopt;
      off += w;
    }
    total += static_cast<uint64_t>(n);
  }
  return std::make_pair("sha256:" + h.hex(), total);
}

}  // namespace

LayerCache::LayerCache(fs::path root)
    : root_(root.empty() ? fs::path() : fs::absolute(root)), dir_(root.empty() ? fs::path() : root_ / "layers") {}

std::optional<CachedLayer> LayerCache::get(const std::string& key, const oci::BlobDigests& expected,
                                           const fs::path& dest) const {
  if (!enabled() || expected.digest.empty()) return std::nullopt;
  const fs::path meta_path = dir_ / (key + ".json"), blob_path = dir_ / (key + ".tar.gz");
  int meta_fd = open_cache_file(meta_path);
  if (meta_fd < 0) return std::nullopt;
  ::close(meta_fd);
  CachedLayer entry;
  try {
    auto j = nlohmann::json::parse(read_file(meta_path));
    entry.blob = {j.at("digest").get<std::string>(), j.at("diff_id").get<std::string>(), j.at("size").get<uint64_t>()};
    entry.meta = j.value("meta", nlohmann::json::object());
  } catch (const std::exception&) {
    entry.blob.digest.clear();
  }
  // Copied, never linked: the bytes hashed are the bytes kept, whatever
  // happens to the cache's file afterwards.
  std::optional<std::pair<std::string, uint64_t>> got;
  if (entry.blob.digest == expected.digest && entry.blob.diff_id == expected.diff_id &&
      entry.blob.size == expected.size) {
    int from = open_cache_file(blob_path);
    int to = from < 0 ? -1 : ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (to >= 0) got = copy_hashing(from, to);
    if (from >= 0) ::close(from);
    if (to >= 0 && ::close(to) != 0) got.reset();
  }
  if (got && got->first == expected.digest && got->second == expected.size) {
    touch_cache_file(blob_path);
    return entry;
  }
  log::verbose("layer cache: " + blob_path.string() + " is not the layer xraybake.lock records; making it again");
  std::error_code ec;
  fs::remove(dest, ec);
  ::unlink(meta_path.c_str());
  ::unlink(blob_path.c_str());
  return std::nullopt;
}

void LayerCache::put(const std::string& key, const fs::path& layer, const CachedLayer& entry) const {
  if (!enabled()) return;
  try {
    const fs::path dir = cache_dir(root_, "layers");
    NewCacheFile blob(dir);
    int from = ::open(layer.c_str(), O_RDONLY | O_CLOEXEC);
    auto copied = from >= 0 ? copy_hashing(from, blob.fd()) : std::nullopt;
    if (from >= 0) ::close(from);
    if (!copied || copied->first != entry.blob.digest) {
      log::verbose("layer cache: " + layer.string() + " is not what its digests say; not kept");
      return;
    }
    blob.commit(dir / (key + ".tar.gz"), 0444);
    nlohmann::json j{{"digest", entry.blob.digest}, {"diff_id", entry.blob.diff_id}, {"size", entry.blob.size},
                     {"meta", entry.meta}};
    write_cache_file(dir / (key + ".json"), j.dump() + "\n");
  } catch (const Error& e) {
    log::verbose(std::string("layer cache: could not keep ") + layer.string() + ": " + e.what());
  }
}

std::string daemon_layer_format(oci::Compression c) {
  return c == oci::Compression::gzip ? kDaemonLayerFormat : std::string(kDaemonLayerFormat) + "+" + std::string(oci::compression_info(c).name);
}

std::string daemon_layer_key(const std::string& deb_sha256, const std::string& arch, const std::string& binary_path,
                             int64_t epoch, oci::Compression c) {
  return sha256_hex(std::string(kDaemonLayerFormat) + "\n" + std::string(oci::compression_info(c).format) + "\n" + XRAYBAKE_VERSION + "\n" + deb_sha256 + "\n" + arch +
                    "\n" + binary_path + "\n" + std::to_string(epoch));
}

LayerPin daemon_layer_pin(const oci::BlobDigests& blob, int64_t epoch, oci::Compression c) {
  return {blob.digest, blob.diff_id, blob.size, daemon_layer_format(c), epoch, {}};
}

}  // namespace xb::build
