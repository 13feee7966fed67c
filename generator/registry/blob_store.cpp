#include "registry/blob_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "oci/digest.h"
#include "util/cache_file.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::registry {

namespace {

std::string hex_of(const std::string& digest) {
  if (!digest.starts_with("sha256:") || digest.size() != 71)
    fail_runtime("unsupported digest \"" + digest + "\"", "only sha256 digests are supported");
  return digest.substr(7);
}

}  // namespace

BlobStore::BlobStore(fs::path cache_dir) : root_(std::move(cache_dir)), dir_(root_ / "blobs" / "sha256") {}

fs::path BlobStore::path(const std::string& digest) const { return dir_ / hex_of(digest); }

bool BlobStore::has(const std::string& digest) const {
  struct stat st {};
  return ::lstat(path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);  // a planted symlink is not a blob
}

fs::path BlobStore::put(const std::string& digest, int64_t size, const std::string& what, const Produce& produce) {
  fs::path target = path(digest);
  // A random O_EXCL|O_NOFOLLOW name: a co-tenant of the cache can neither
  // predict it nor plant a symlink that redirects the write.
  NewCacheFile file(cache_dir(root_, "blobs/sha256"));
  std::optional<oci::Digester> hash(std::in_place);
  int64_t got = 0;
  BlobSink sink;
  sink.write = [&](std::string_view chunk) {
    file.write(chunk);
    hash->update(chunk);
    got += static_cast<int64_t>(chunk.size());
  };
  sink.rewind = [&] {  // a server that ignored Range sends the whole blob again
    if (::ftruncate(file.fd(), 0) != 0 || ::lseek(file.fd(), 0, SEEK_SET) != 0)
      fail_runtime("cannot rewind " + file.path().string() + ": " + std::strerror(errno));
    hash.emplace();
    got = 0;
  };
  produce(sink);
  std::string actual = hash->digest();
  if (actual != digest || (size >= 0 && got != size))
    fail_runtime(what + ": content does not match its digest: expected " + digest + " (" + std::to_string(size) +
                     " bytes), got " + actual + " (" + std::to_string(got) + " bytes)",
                 "the registry or a proxy returned corrupt data; retry, and report it if it persists");
  // Read-only like the daemon downloads that share this store (fetch/cache.h).
  file.commit(target, 0444);
  return target;
}

fs::path BlobStore::put_bytes(const std::string& digest, std::string_view bytes, const std::string& what) {
  return put(digest, static_cast<int64_t>(bytes.size()), what, [&](const BlobSink& sink) { sink.write(bytes); });
}

BlobLocations::BlobLocations(fs::path cache_dir) : file_(std::move(cache_dir) / "registry" / "blob-locations.json") {
  if (!fs::exists(file_)) return;
  nlohmann::json j = nlohmann::json::parse(read_file(file_), nullptr, false);
  if (!j.is_object()) return;  // a damaged record only costs uploads
  for (const auto& [registry, digests] : j.items()) {
    if (!digests.is_object()) continue;
    for (const auto& [digest, repos] : digests.items())
      if (repos.is_array())
        for (const auto& r : repos)
          if (r.is_string()) known_[registry][digest].insert(r.get<std::string>());
  }
}

std::set<std::string> BlobLocations::repositories(const std::string& registry, const std::string& digest) const {
  auto r = known_.find(registry);
  if (r == known_.end()) return {};
  auto d = r->second.find(digest);
  return d == r->second.end() ? std::set<std::string>{} : d->second;
}

void BlobLocations::add(const std::string& registry, const std::string& repository, const std::string& digest) {
  dirty_ |= known_[registry][digest].insert(repository).second;
}

void BlobLocations::save() {
  if (!dirty_) return;
  // Another xraybake may have recorded something meanwhile: merge, last writer wins per file.
  BlobLocations on_disk(file_.parent_path().parent_path());
  for (const auto& [registry, digests] : on_disk.known_)
    for (const auto& [digest, repos] : digests) known_[registry][digest].insert(repos.begin(), repos.end());
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [registry, digests] : known_)
    for (const auto& [digest, repos] : digests) j[registry][digest] = repos;
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  write_file_atomic(file_, j.dump(1) + "\n");
  dirty_ = false;
}

void link_or_copy(const fs::path& from, const fs::path& to) {
  if (fs::exists(to)) return;
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (!ec) return;
  fs::copy_file(from, to, fs::copy_options::skip_existing, ec);
  if (ec) fail_runtime("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

}  // namespace xb::registry
