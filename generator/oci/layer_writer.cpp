#include "oci/layer_writer.h"

#include <algorithm>
#include <exception>
#include <map>
#include <memory>
#include <optional>

#include "util/archive_handle.h"
#include "util/error.h"

namespace xb::oci {
namespace {

// "/usr//bin/" -> "usr/bin"; nullopt for "..", "." or an empty path.
std::optional<std::string> clean(const std::string& path) {
  std::string out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..") return std::nullopt;
    if (!out.empty()) out += '/';
    out += part;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool same_directory(const LayerEntry& a, const LayerEntry& b) {
  return a.type == LayerEntry::Type::directory && b.type == LayerEntry::Type::directory && a.mode == b.mode &&
         a.uid == b.uid && a.gid == b.gid;
}

// Sorted by path, duplicates merged, every parent directory present.
std::vector<LayerEntry> complete_tree(std::vector<LayerEntry> entries) {
  std::map<std::string, LayerEntry> tree;
  for (auto& e : entries) {
    auto path = clean(e.path);
    if (!path) fail_input("'" + e.path + "' is not a clean path for an image file", "use an absolute path without '.' or '..'");
    e.path = *path;
    auto [it, added] = tree.try_emplace(*path, std::move(e));
    if (!added && !same_directory(it->second, e))
      fail_input("'/" + *path + "' is listed twice in one layer", "give each file in the image one path");
  }
  std::vector<LayerEntry> parents;
  for (const auto& [path, e] : tree) {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      auto it = tree.find(parent);
      if (it != tree.end()) {
        if (it->second.type != LayerEntry::Type::directory)
          fail_input("'/" + parent + "' is a file and a directory in one layer", "give each file in the image one path");
        continue;
      }
      LayerEntry dir;
      dir.path = parent;
      dir.type = LayerEntry::Type::directory;
      dir.mode = 0755;
      parents.push_back(std::move(dir));
    }
  }
  for (auto& p : parents) tree.try_emplace(p.path, std::move(p));
  std::vector<LayerEntry> out;
  out.reserve(tree.size());
  for (auto& [path, e] : tree) out.push_back(std::move(e));
  return out;
}

struct Sink {
  CompressingTee* tee;
  std::exception_ptr error;  // exceptions must not cross libarchive's C frames
};

la_ssize_t sink_write(archive*, void* ctx, const void* buf, size_t n) {
  auto* sink = static_cast<Sink*>(ctx);
  try {
    sink->tee->write(buf, n);
  } catch (...) {
    sink->error = std::current_exception();
    return -1;
  }
  return static_cast<la_ssize_t>(n);
}

}  // namespace

BlobDigests write_layer(const std::filesystem::path& file, std::vector<LayerEntry> entries, int64_t mtime,
                        Compression compression) {
  std::vector<LayerEntry> tree = complete_tree(std::move(entries));
  std::unique_ptr<CompressingTee> tee = open_compressing_tee(file, compression);
  Sink sink{tee.get(), nullptr};
  WriteArchive a(archive_write_new());
  auto check = [&](int r, const std::string& what) {
    if (sink.error) std::rethrow_exception(sink.error);
    if (r < ARCHIVE_OK) fail_runtime("cannot write layer " + file.string() + ": " + what + ": " + archive_message(a.get()));
  };
  // Restricted pax: plain ustar headers, plus a pax record only where ustar
  // can't say it (an owner id over 262143, a long name). Entries never carry
  // atime or ctime, so no record has them.
  check(archive_write_set_format_pax_restricted(a.get()), "format");
  check(archive_write_open(a.get(), &sink, nullptr, sink_write, nullptr), "open");

  ArchiveEntry e(archive_entry_new());
  constexpr size_t kBuf = 1 << 16;
  std::unique_ptr<char[]> buf;  // for streamed files only; not zeroed (a small layer needs none of it)
  for (const auto& entry : tree) {
    archive_entry_clear(e.get());
    bool dir = entry.type == LayerEntry::Type::directory;
    archive_entry_set_pathname(e.get(), dir ? (entry.path + "/").c_str() : entry.path.c_str());
    archive_entry_set_perm(e.get(), entry.mode & 07777);
    archive_entry_set_uid(e.get(), entry.uid);
    archive_entry_set_gid(e.get(), entry.gid);
    archive_entry_set_mtime(e.get(), mtime, 0);
    uint64_t size = 0;
    switch (entry.type) {
      case LayerEntry::Type::directory: archive_entry_set_filetype(e.get(), AE_IFDIR); break;
      case LayerEntry::Type::symlink:
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        archive_entry_set_symlink(e.get(), entry.data.c_str());
        break;
      case LayerEntry::Type::file:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        size = entry.stream ? entry.size : entry.data.size();
        break;
    }
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    check(archive_write_header(a.get(), e.get()), "/" + entry.path);
    if (entry.type != LayerEntry::Type::file) continue;
    if (!entry.stream) {
      if (!entry.data.empty())
        check(archive_write_data(a.get(), entry.data.data(), entry.data.size()) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK,
              "/" + entry.path);
      continue;
    }
    uint64_t written = 0;
    if (!buf) buf.reset(new char[kBuf]);
    while (size_t n = entry.stream(buf.get(), kBuf)) {
      written += n;
      if (written > size) fail_runtime("/" + entry.path + ": more data than announced (" + std::to_string(size) + " bytes)");
      check(archive_write_data(a.get(), buf.get(), n) < 0 ? ARCHIVE_FATAL : ARCHIVE_OK, "/" + entry.path);
    }
    if (written != size)
      fail_runtime("/" + entry.path + ": " + std::to_string(written) + " bytes instead of " + std::to_string(size));
  }
  check(archive_write_close(a.get()), "close");
  return tee->finish();
}

}  // namespace xb::oci
