#include "build/app_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "descriptor/exclude_globs.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb::build {

namespace fs = std::filesystem;
using oci::LayerEntry;

namespace {

// Closes the file once the layer writer is done with it (or dropped it).
struct OpenFile {
  int fd = -1;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

// A reader for LayerEntry::stream: opens PATH on first use, never through a
// symbolic link, and refuses a file that is no longer what was walked.
std::function<size_t(char*, size_t)> file_reader(const std::string& path, uint64_t size) {
  auto file = std::make_shared<OpenFile>();
  auto done = std::make_shared<bool>(false);
  return [path, size, file, done](char* buf, size_t cap) -> size_t {
    if (*done) return 0;
    if (file->fd < 0) {
      file->fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (file->fd < 0) fail_runtime("cannot read " + path + ": " + std::strerror(errno));
      struct stat st {};
      if (::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != size)
        fail_runtime(path + " changed while the app layer was written", "build again once the app's files are in place");
    }
    ssize_t n;
    do n = ::read(file->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail_runtime("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) {
      *done = true;
      ::close(file->fd);
      file->fd = -1;
    }
    return static_cast<size_t>(n);
  };
}

class Collector {
 public:
  Collector(const Descriptor& desc, const AppLayerInput& input) : desc_(desc), input_(input), rules_(desc.service.exclude) {
    for (const auto& s : input.skip) {
      std::error_code ec;
      auto c = fs::weakly_canonical(s, ec);
      skip_.push_back(ec ? s : c);
    }
  }

  void add(const AppFile& file, size_t index) {
    file_ = &file;
    where_ = "service.files[" + std::to_string(index) + "]";
    if (!file.directory) {
      put_file(file.source, file.to);
      return;
    }
    put_dir(file.to);
    std::string rel = fs::path(file.from).lexically_normal().generic_string();
    while (!rel.empty() && rel.back() == '/') rel.pop_back();
    if (rel == ".") rel.clear();
    walk(file.source, file.to, rel);
  }

  std::vector<LayerEntry> take() {
    std::vector<LayerEntry> out;
    out.reserve(tree_.size());
    for (auto& [path, e] : tree_) out.push_back(std::move(e));
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    Diagnostic d;
    d.file = desc_.path;
    d.line = file_->line;
    d.column = file_->column;
    d.message = where_ + " (from " + file_->from + "): " + message;
    throw Error(ExitCode::bad_input, std::vector<Diagnostic>{d});
  }

  void check_reserved(const std::string& path, bool directory) const {
    for (const auto& r : input_.reserved) {
      if (path == r || path.starts_with(r + "/"))
        fail(path + " would replace " + r + ", which xraybake's own layers put in the image; give the app its own "
                    "directory, e.g. to: /app");
      if (!directory && r.starts_with(path + "/"))
        fail(path + " would hide " + r + ", which xraybake's own layers put in the image; give the app its own "
                    "directory, e.g. to: /app");
    }
  }

  void put(LayerEntry e) {
    bool directory = e.type == LayerEntry::Type::directory;
    check_reserved(e.path, directory);
    auto [it, fresh] = tree_.try_emplace(e.path, LayerEntry{});
    if (!fresh) {
      bool was_dir = it->second.type == LayerEntry::Type::directory;
      if (was_dir != directory)
        fail(e.path + " is a " + (directory ? "directory" : "file") + " here and a " + (was_dir ? "directory" : "file") +
             " from an earlier entry; give each its own path");
      if (directory) return;  // a directory is a directory
    }
    // A later entry's file wins, as a later COPY does.
    it->second = std::move(e);
  }

  void put_dir(const std::string& to) {
    LayerEntry e;
    e.path = to;
    e.type = LayerEntry::Type::directory;
    e.mode = 0755;
    put(std::move(e));
  }

  void put_file(const std::string& source, const std::string& to) {
    struct stat st {};
    if (::lstat(source.c_str(), &st) != 0) fail("cannot read " + source + ": " + std::strerror(errno));
    LayerEntry e;
    e.path = to;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      auto target = fs::read_symlink(source, ec);
      if (ec) fail("cannot read the link " + source + ": " + ec.message());
      e.type = LayerEntry::Type::symlink;
      e.mode = 0777;
      e.data = target.string();  // stored as it is; never followed
    } else if (S_ISREG(st.st_mode)) {
      e.mode = file_->mode ? *file_->mode : (st.st_mode & S_IXUSR) ? 0755 : 0644;
      e.size = static_cast<uint64_t>(st.st_size);
      e.stream = file_reader(source, e.size);
    } else {
      fail(source + " is " + (S_ISSOCK(st.st_mode) ? "a socket" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a device") +
           ", which an image layer can not hold; add it to service.exclude");
    }
    put(std::move(e));
  }

  bool skipped(const fs::path& dir) const {
    if (std::find(skip_.begin(), skip_.end(), dir) != skip_.end()) return true;
    std::error_code ec;
    return fs::symlink_status(dir / std::string(kOutputMarker), ec).type() == fs::file_type::regular;
  }

  // DIR's contents (a real directory, not a link) into TO; REL is DIR as the
  // exclude patterns see it (relative to the descriptor's directory).
  void walk(const fs::path& dir, const std::string& to, const std::string& rel) {
    std::error_code ec;
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    if (ec) fail("cannot list " + dir.string() + ": " + ec.message());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      fs::path source = dir / name;
      std::string image_path = to + "/" + name;
      std::string rel_path = rel.empty() ? name : rel + "/" + name;
      bool excluded = rules_.excluded(rel_path);
      auto type = fs::symlink_status(source, ec).type();
      if (ec) fail("cannot read " + source.string() + ": " + ec.message());
      if (type == fs::file_type::directory) {
        if (skipped(source)) continue;
        if (excluded && !rules_.has_exceptions()) continue;
        if (!excluded) put_dir(image_path);
        walk(source, image_path, rel_path);  // an included file inside still gets its parents (0755)
      } else if (!excluded) {
        put_file(source.string(), image_path);
      }
    }
  }

  const Descriptor& desc_;
  const AppLayerInput& input_;
  ExcludeRules rules_;
  std::vector<fs::path> skip_;
  std::map<std::string, LayerEntry> tree_;
  const AppFile* file_ = nullptr;
  std::string where_;
};

}  // namespace

std::vector<LayerEntry> app_layer_entries(const Descriptor& desc, const AppLayerInput& input) {
  Collector c(desc, input);
  for (size_t i = 0; i < desc.service.files.size(); ++i) c.add(desc.service.files[i], i);
  return c.take();
}

}  // namespace xb::build
