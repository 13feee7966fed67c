#include "deb/deb_reader.h"

#include <algorithm>
#include <cerrno>
#include <set>
#include <sstream>

#include "util/archive_handle.h"
#include "deb/elf_machine.h"
#include "deb/entry_path.h"
#include "util/error.h"

namespace xb::deb {
namespace {

constexpr size_t kChunk = 64 << 10;
constexpr uint64_t kMaxControlSize = 1 << 20;
constexpr const char* kCheckSource = "check where the package comes from and its sha256 pin";

// Where we are, for messages: "DEB: data.tar.gz: 'entry': what".
struct Where {
  std::string deb;
  std::string member;
  std::string check = kCheckSource;  // the hint's "check ..." part
};

[[noreturn]] void bad(const Where& w, std::string_view entry, const std::string& what) {
  std::string msg = w.deb;
  if (!w.member.empty()) msg += ": " + w.member;
  if (!entry.empty()) msg += ": '" + std::string(entry) + "'";
  fail_input(msg + ": " + what, "the package is broken or hostile: " + w.check + ", then fetch it again");
}

// The current member of the `ar` archive, read as a stream by a nested archive.
struct MemberSource {
  archive* outer;
  char buf[kChunk];
};

la_ssize_t member_read(archive* inner, void* ctx, const void** out) {
  auto* src = static_cast<MemberSource*>(ctx);
  la_ssize_t got = archive_read_data(src->outer, src->buf, sizeof src->buf);
  if (got < 0) {
    archive_set_error(inner, EIO, "%s", archive_message(src->outer).c_str());
    return -1;
  }
  *out = src->buf;
  return got;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A tar reader over the current member, with only the filter its name says.
ReadArchive open_member_tar(MemberSource& src, const Where& where) {
  ReadArchive a(archive_read_new());
  const std::string& name = where.member;
  int r = ARCHIVE_OK;
  if (ends_with(name, ".tar.gz")) r = archive_read_support_filter_gzip(a.get());
  else if (ends_with(name, ".tar.xz")) r = archive_read_support_filter_xz(a.get());
  else if (ends_with(name, ".tar.zst")) r = archive_read_support_filter_zstd(a.get());
  else if (ends_with(name, ".tar.bz2")) r = archive_read_support_filter_bzip2(a.get());
  else if (!ends_with(name, ".tar")) bad(where, "", "unsupported compression (expected .tar, .tar.gz, .tar.xz or .tar.zst)");
  // ARCHIVE_WARN: libarchive would use an external program; still usable.
  if (r < ARCHIVE_WARN) bad(where, "", "cannot decompress: " + archive_message(a.get()));
  archive_read_support_format_tar(a.get());
  if (archive_read_open2(a.get(), &src, nullptr, member_read, nullptr, nullptr) != ARCHIVE_OK)
    bad(where, "", "not a readable tar archive: " + archive_message(a.get()));
  return a;
}

// Walks a member's tar, refusing anything that could escape or harm the tree,
// and calls ON_FILE(name, entry) for each regular file.
template <typename OnFile>
void walk_tar(archive* a, const Where& where, const Limits& limits, OnFile&& on_file) {
  std::set<std::string> seen;
  std::set<std::string> files;  // hard link targets must be earlier regular files
  uint64_t total = 0;
  uint64_t count = 0;
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) bad(where, "", "truncated or corrupt archive: " + archive_message(a));
    const char* raw_c = archive_entry_pathname(e);
    if (!raw_c) raw_c = archive_entry_pathname_utf8(e);
    if (!raw_c) bad(where, "", "an entry has an unreadable name");
    std::string raw = raw_c;
    if (++count > limits.max_entries)
      bad(where, "", "more than " + std::to_string(limits.max_entries) + " entries");
    auto name = normalize_entry_name(raw);
    if (!name)
      bad(where, raw,
          raw.empty()           ? "an entry without a name"
          : raw.front() == '/'  ? "absolute path"
                                : "path traversal ('..' in the name)");
    if (name->empty()) {
      if (archive_entry_filetype(e) != AE_IFDIR) bad(where, raw, "the package root is not a directory");
      continue;
    }
    if (!seen.insert(*name).second) bad(where, raw, "duplicate entry");

    if (const char* link = archive_entry_hardlink(e)) {
      auto target = normalize_entry_name(link);
      if (!target) bad(where, raw, std::string("hard link to '") + link + "' leaves the package");
      if (!files.count(*target))
        bad(where, raw, std::string("hard link to '") + link + "', which is not an earlier file of the package");
      on_file(*name, e, true);
      continue;
    }
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (!target || !resolve_symlink(*name, target))
          bad(where, raw, std::string("symbolic link to '") + (target ? target : "") + "' leaves the package");
        on_file(*name, e, true);
        break;
      }
      case AE_IFREG: {
        uint64_t size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
        if (size > limits.max_entry_size)
          bad(where, raw, std::to_string(size) + " bytes, over the limit of " + std::to_string(limits.max_entry_size) +
                              " for one entry (a decompression bomb?)");
        total += size;
        if (total > limits.max_total_size)
          bad(where, raw, "the entries add up to more than " + std::to_string(limits.max_total_size) + " bytes");
        files.insert(*name);
        on_file(*name, e, false);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK: bad(where, raw, "device node");
      case AE_IFIFO: bad(where, raw, "fifo");
      case AE_IFSOCK: bad(where, raw, "socket");
      default: bad(where, raw, "unsupported entry type");
    }
  }
}

// Reads the current entry's data into a string, at most LIMIT bytes.
std::string read_small(archive* a, const Where& where, std::string_view name, uint64_t limit) {
  std::string out;
  char buf[4096];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) bad(where, name, "corrupt data: " + archive_message(a));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) bad(where, name, "larger than " + std::to_string(limit) + " bytes");
  }
}

ControlInfo parse_control(const std::string& text) {
  ControlInfo info;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == ' ' || line[0] == '\t') continue;  // continuation lines
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r") + 1);
    info.fields[key] = value;
    if (key == "Package") info.package = value;
    else if (key == "Version") info.version = value;
    else if (key == "Architecture") info.architecture = value;
  }
  return info;
}

// The binary: checked to be an ELF for ARCH, then streamed to SINK.
void hand_over_binary(archive* a, archive_entry* e, const Where& where, const std::string& name,
                      const ReadOptions& options, const std::function<void(DaemonStream&)>& sink) {
  std::string head;
  char buf[64];
  while (head.size() < sizeof buf) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf - head.size());
    if (n < 0) bad(where, name, "corrupt data: " + archive_message(a));
    if (n == 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  auto arch = elf_arch(head);
  const bool binary = name == options.binary_path;
  if (binary && !arch) bad(where, name, "not an ELF executable");
  if (binary && *arch != options.arch)
    fail_input(where.deb + ": /" + name + " is a binary for " + *arch + ", but the platform is linux/" + options.arch,
               "use the " + options.arch + " package: check the {arch} placeholder of xray.url and the sha256 pins");

  uint64_t declared = static_cast<uint64_t>(archive_entry_size(e));
  uint64_t delivered = 0;
  size_t head_off = 0;
  DaemonStream stream;
  stream.path = name;
  stream.size = declared;
  stream.mode = static_cast<uint32_t>(archive_entry_perm(e));
  stream.read = [&](char* out, size_t cap) -> size_t {
    size_t n = 0;
    if (head_off < head.size()) {
      n = std::min(cap, head.size() - head_off);
      std::copy_n(head.data() + head_off, n, out);
      head_off += n;
    } else {
      la_ssize_t got = archive_read_data(a, out, cap);
      if (got < 0) bad(where, name, "corrupt data: " + archive_message(a));
      n = static_cast<size_t>(got);
    }
    delivered += n;
    if (delivered > declared) bad(where, name, "more data than its header says");
    return n;
  };
  sink(stream);
}

// The current member, control.tar.*: its control file and copyright file (if any).
ControlInfo read_control_member(archive* ar, const Where& where, const Limits& limits) {
  MemberSource src{ar, {}};
  ReadArchive tar = open_member_tar(src, where);
  ControlInfo info;
  std::string copyright;
  walk_tar(tar.get(), where, limits, [&](const std::string& name, archive_entry*, bool link) {
    if (link) return;
    if (name == "control") info = parse_control(read_small(tar.get(), where, name, kMaxControlSize));
    else if (name == "copyright") copyright = read_small(tar.get(), where, name, kMaxControlSize);
  });
  info.copyright = std::move(copyright);
  return info;
}

// Opens DEB as an ar archive (bad input when it is not one).
ReadArchive open_deb(const std::filesystem::path& deb, const Where& where) {
  ReadArchive ar(archive_read_new());
  archive_read_support_format_ar(ar.get());
  std::error_code ec;
  if (!std::filesystem::is_regular_file(deb, ec)) fail_runtime("cannot read " + deb.string() + ": not a file");
  if (archive_read_open_filename(ar.get(), deb.c_str(), kChunk) != ARCHIVE_OK)
    bad(where, "", "not a Debian package (ar archive): " + archive_message(ar.get()));
  return ar;
}

// The first member: debian-binary, format 2.x.
void check_debian_binary(archive* ar, const Where& where) {
  if (where.member != "debian-binary") bad(where, "", "the first member must be debian-binary");
  std::string v = read_small(ar, where, "", 64);
  if (v.rfind("2.", 0) != 0) bad(where, "", "unsupported package format version '" + v + "'");
}

// The next member of the ar archive into WHERE.member; false at the end.
bool next_member(archive* ar, Where& where, int index) {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(ar, &e);
  if (r == ARCHIVE_EOF) return false;
  if (r < ARCHIVE_WARN)
    bad(where, "", (index == 0 ? "not a Debian package (ar archive): " : "truncated or corrupt package: ") +
                       archive_message(ar));
  const char* mname = archive_entry_pathname(e);
  where.member = mname ? mname : "";
  return true;
}

}  // namespace

ControlInfo read_control(const std::filesystem::path& deb, const std::string& display_name) {
  Where where{display_name.empty() ? deb.string() : display_name, "", kCheckSource};
  ReadArchive ar = open_deb(deb, where);
  for (int index = 0;; ++index) {
    if (!next_member(ar.get(), where, index)) break;
    if (index == 0) {
      check_debian_binary(ar.get(), where);
      continue;
    }
    if (where.member.rfind("control.tar", 0) == 0) return read_control_member(ar.get(), where, {});
  }
  where.member.clear();
  bad(where, "", "no control.tar member");
}

ControlInfo read_deb(const std::filesystem::path& deb, const ReadOptions& options,
                     const std::function<void(DaemonStream&)>& sink) {
  Where where{options.display_name.empty() ? deb.string() : options.display_name, "",
              options.hint.empty() ? kCheckSource : options.hint};
  ReadArchive ar = open_deb(deb, where);

  ControlInfo info;
  std::set<std::string> members;
  bool have_control = false, have_data = false, have_binary = false;
  std::set<std::string> found_also;
  for (int index = 0;; ++index) {
    if (!next_member(ar.get(), where, index)) break;
    if (!members.insert(where.member).second) bad(where, "", "duplicate member");
    if (index == 0) {
      check_debian_binary(ar.get(), where);
      continue;
    }
    if (where.member.rfind("control.tar", 0) == 0) {
      info = read_control_member(ar.get(), where, options.limits);
      have_control = true;
      if (!info.architecture.empty() && info.architecture != "all" && info.architecture != options.arch)
        fail_input(where.deb + " is a package for " + info.architecture + " (control: Architecture: " +
                       info.architecture + "), but the platform is linux/" + options.arch,
                   "use the " + options.arch + " package: " + where.check + " (the {arch} placeholder)");
      if (!options.package.empty() && info.package != options.package)
        fail_input(where.deb + ": the package is " + (info.package.empty() ? "unnamed" : "'" + info.package + "'") +
                       " (control: Package), not '" + options.package + "'",
                   where.check);
    } else if (where.member.rfind("data.tar", 0) == 0) {
      if (have_data) bad(where, "", "a second data member");
      MemberSource src{ar.get(), {}};
      ReadArchive tar = open_member_tar(src, where);
      walk_tar(tar.get(), where, options.limits, [&](const std::string& name, archive_entry* e, bool link) {
        const bool also = std::find(options.also.begin(), options.also.end(), name) != options.also.end();
        if (name != options.binary_path && !also) return;
        if (link) bad(where, name, also ? "is a link, not the agent's file itself" : "is a link, not the agent's binary itself");
        if (archive_entry_filetype(e) != AE_IFREG) bad(where, name, "is not a regular file");
        hand_over_binary(tar.get(), e, where, name, options, sink);
        if (also) found_also.insert(name);
        else have_binary = true;
      });
      have_data = true;
    } else if (where.member.empty() || where.member[0] != '_') {
      // dpkg allows extra members only when they start with '_' (_gpgorigin).
      bad(where, "", "unexpected member in a Debian package");
    }
  }
  where.member.clear();
  if (members.empty()) bad(where, "", "empty archive, not a Debian package");
  if (!have_control) bad(where, "", "no control.tar member");
  if (!have_data) bad(where, "", "no data.tar member");
  if (!have_binary) {
    where.member = "data.tar";
    bad(where, "", "no /" + options.binary_path + " in the package" +
                              (options.package.empty() ? "" : " (is this the " + options.package + " .deb?)"));
  }
  for (const auto& name : options.also) {
    if (found_also.count(name)) continue;
    where.member = "data.tar";
    bad(where, "", "no /" + name + " in the package" +
                       (options.package.empty() ? "" : " (is this the " + options.package + " .deb?)"));
  }
  return info;
}

}  // namespace xb::deb
