#include "build/base_layout.h"

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>

#include "build/fleet_store.h"
#include "util/cache_file.h"
#include "oci/base_image.h"
#include "oci/layout.h"
#include "registry/pull.h"
#include "util/error.h"
#include "util/log.h"

namespace xb::build {

const oci::BaseImage& base_image(const BaseLayout& layout, const std::vector<std::string>& platforms) {
  static std::mutex mutex;
  static std::map<std::string, oci::BaseImage> read;
  std::string key = layout.dir.string() + "\n" + layout.tag;
  for (const auto& p : platforms) key += "\n" + p;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = read.find(key); it != read.end()) return it->second;
  return read.emplace(key, oci::read_base_image(layout.dir, layout.tag, platforms)).first->second;
}

void verify_base_blobs(const BaseLayout& layout, const std::vector<std::string>& platforms,
                       const std::string& what) {
  const oci::BaseImage* image = nullptr;
  try {
    image = &base_image(layout, platforms);  // JSON blobs: checked there
  } catch (const Error& e) {
    throw Error(e.code(), what + ": " + e.what(), e.hint());
  }
  std::set<std::string> seen;
  std::vector<std::string> problems;
  for (const auto& p : image->platforms) {
    for (const auto& l : p.layers) {
      const std::string digest = l.value("digest", "");
      if (!seen.insert(digest).second) continue;
      const auto path = oci::blob_path(layout.dir, digest);
      const uint64_t size = l.contains("size") && l["size"].is_number_unsigned() ? l["size"].get<uint64_t>() : 0;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) {
        problems.push_back(path.string() + ": missing (layer " + digest + ")");
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        problems.push_back(path.string() + ": a symbolic link, not the blob itself");
        continue;
      }
      int fd = open_cache_file(path);
      if (fd < 0) {
        problems.push_back(path.string() + ": not a regular file");
        continue;
      }
      std::string got;
      if (static_cast<uint64_t>(st.st_size) == size) {
        // In a fleet, a base blob is hashed by the first build that takes it; the others know that very file.
        if (fleet_store_verified(digest, fd)) {
          got = digest;
          log::verbose("base layer " + digest + ": hashed by another build of this fleet (the same file)");
        } else {
          got = sha256_of_fd(fd);
          if (got == digest) fleet_store_put_verified(digest, path, fd);
        }
      }
      ::close(fd);
      if (static_cast<uint64_t>(st.st_size) != size)
        problems.push_back(path.string() + ": " + std::to_string(st.st_size) + " bytes, its descriptor says " +
                           std::to_string(size));
      else if (got != digest)
        problems.push_back(path.string() + ": its content has the digest " + got + ", not " + digest);
    }
  }
  if (problems.empty()) return;
  std::string msg = what + ": the base image layout " + layout.dir.string() + " has bad layer blobs:";
  for (const auto& p : problems) msg += "\n  " + p;
  fail_input(msg, "a layout's blobs must be plain files named by their digest: copy the image again (`skopeo copy` "
                  "or `umoci`), or remove the cached pull (xraybake cache clean) and build again");
}

BaseLayout base_layout(const Descriptor& desc, const registry::RegistryOptions& options) {
  BaseRef ref = parse_base(desc);
  const std::string what = desc.path + ": service.base";
  BaseLayout layout;
  if (ref.oci_layout) {
    layout = local_base_layout(desc);
  } else {
    try {
      registry::PullResult pulled = registry::pull(ref.reference, desc.service.platforms, options);
      layout = {pulled.layout_dir, pulled.tag};
    } catch (const Error& e) {
      throw Error(e.code(), what + ": " + e.what(), e.hint());
    }
  }
  verify_base_blobs(layout, desc.service.platforms, what);
  return layout;
}

}  // namespace xb::build
