#include "build/made_layers.h"

#include <map>
#include <mutex>

#include "supply/layer_contents.h"
#include "util/sha256.h"

namespace xb::build {

namespace {

struct Made {
  std::mutex mutex;
  std::map<std::string, MadeLayer> by_key;
};
Made& made() {
  static Made m;
  return m;
}

void put_field(Sha256& h, std::string_view s) {
  const std::string n = std::to_string(s.size()) + ":";
  h.update(n);
  h.update(s);
}

}  // namespace

std::string made_layer_key(const std::vector<oci::LayerEntry>& entries, int64_t mtime, oci::Compression c) {
  Sha256 h;
  put_field(h, "xraybake made layer 1");
  put_field(h, std::to_string(mtime));
  put_field(h, oci::compression_info(c).name);
  for (const auto& e : entries) {
    if (e.stream) return "";
    put_field(h, e.path);
    put_field(h, std::to_string(static_cast<int>(e.type)) + " " + std::to_string(e.mode) + " " + std::to_string(e.uid) +
                     " " + std::to_string(e.gid));
    put_field(h, e.data);
  }
  return h.hex();
}

std::vector<PinnedFile> read_layer_files(const std::filesystem::path& file) {
  std::vector<PinnedFile> out;
  for (auto& f : supply::layer_contents(file)) out.push_back({f.path, f.size, f.sha256, f.sha1});
  return out;
}

void make_layer_ahead(std::vector<oci::LayerEntry> entries, int64_t mtime, oci::Compression c,
                      const std::filesystem::path& file) {
  const std::string key = made_layer_key(entries, mtime, c);
  if (key.empty() || made_layer(key)) return;
  MadeLayer m{file, oci::write_layer(file, std::move(entries), mtime, c), {}};
  m.files = read_layer_files(file);
  std::lock_guard<std::mutex> lock(made().mutex);
  made().by_key.emplace(key, std::move(m));
}

const MadeLayer* made_layer(const std::string& key) {
  if (key.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(made().mutex);
  auto it = made().by_key.find(key);
  return it == made().by_key.end() ? nullptr : &it->second;
}

}  // namespace xb::build
