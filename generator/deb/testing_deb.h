// Test helper (header only, for the tests of deb/ and oci/): builds .debs and
// their tar members with libarchive, including broken and hostile ones.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xb::deb::testing {

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO...
  uint32_t mode = 0644;
  std::string content;       // AE_IFREG
  std::string link;          // symlink target (AE_IFLNK) or, with hardlink, the linked entry
  bool hardlink = false;
  uint64_t zeros = 0;        // AE_IFREG: that many zero bytes after content (big files)

  TarEntry(std::string n, unsigned t = AE_IFREG, uint32_t m = 0644, std::string c = {}, std::string l = {},
           bool h = false, uint64_t z = 0)
      : name(std::move(n)), type(t), mode(m), content(std::move(c)), link(std::move(l)), hardlink(h), zeros(z) {}
};

inline la_ssize_t append_cb(archive*, void* ctx, const void* buf, size_t n) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

inline void check(archive* a, int r) {
  if (r < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(a) ? archive_error_string(a) : "libarchive");
}

// FILTER: "gzip", "xz", "zstd" or "" (plain tar).
inline std::string make_tar(const std::vector<TarEntry>& entries, const std::string& filter = "gzip") {
  std::string out;
  archive* a = archive_write_new();
  check(a, archive_write_set_format_pax_restricted(a));
  if (filter == "gzip") check(a, archive_write_add_filter_gzip(a));
  if (filter == "xz") check(a, archive_write_add_filter_xz(a));
  if (filter == "zstd") check(a, archive_write_add_filter_zstd(a));
  if (!filter.empty()) check(a, archive_write_set_filter_option(a, nullptr, "compression-level", "1"));
  check(a, archive_write_set_bytes_in_last_block(a, 1));
  check(a, archive_write_open(a, &out, nullptr, append_cb, nullptr));
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (t.hardlink) {
      archive_entry_set_hardlink(e, t.link.c_str());
      archive_entry_set_size(e, 0);
    } else if (t.type == AE_IFLNK) {
      archive_entry_set_symlink(e, t.link.c_str());
    } else if (t.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<la_int64_t>(t.content.size() + t.zeros));
    }
    check(a, archive_write_header(a, e));
    if (t.type == AE_IFREG && !t.hardlink) {
      if (!t.content.empty()) archive_write_data(a, t.content.data(), t.content.size());
      if (t.zeros) {
        std::string chunk(1 << 20, '\0');
        for (uint64_t left = t.zeros; left;) {
          size_t n = left < chunk.size() ? static_cast<size_t>(left) : chunk.size();
          archive_write_data(a, chunk.data(), n);
          left -= n;
        }
      }
    }
    archive_entry_free(e);
  }
  check(a, archive_write_close(a));
  archive_write_free(a);
  return out;
}

// An `ar` archive with these members, in order.
inline std::string make_ar(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out;
  archive* a = archive_write_new();
  check(a, archive_write_set_format_ar_svr4(a));
  check(a, archive_write_set_bytes_in_last_block(a, 1));
  check(a, archive_write_open(a, &out, nullptr, append_cb, nullptr));
  for (const auto& [name, data] : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    check(a, archive_write_header(a, e));
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  check(a, archive_write_close(a));
  archive_write_free(a);
  return out;
}

// The first bytes of a 64-bit little-endian ELF executable for ARCH, padded with
// a recognisable pattern to SIZE bytes.
inline std::string fake_elf(const std::string& arch, size_t size = 4096, char fill = 'x') {
  std::string elf(std::max<size_t>(size, 64), fill);
  const unsigned char ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0};
  for (size_t i = 0; i < sizeof ident; ++i) elf[i] = static_cast<char>(ident[i]);
  unsigned machine = arch == "arm64" ? 183 : 62;
  elf[18] = static_cast<char>(machine & 0xff);
  elf[19] = static_cast<char>(machine >> 8);
  return elf;
}

inline std::string control_tar(const std::string& arch, const std::string& version = "3.6.6") {
  return make_tar({{"./", AE_IFDIR, 0755},
                   {"./control", AE_IFREG, 0644,
                    "Package: xray\nVersion: " + version + "\nArchitecture: " + arch +
                        "\nDepends: libc6\nDescription: stand-in\n X-Ray daemon\n"}});
}

// The data.tar entries of a package shaped like AWS's, with BINARY as /usr/bin/xray.
inline std::vector<TarEntry> daemon_entries(const std::string& binary) {
  return {{"./", AE_IFDIR, 0755},
          {"./etc/", AE_IFDIR, 0755},
          {"./etc/amazon/", AE_IFDIR, 0755},
          {"./etc/amazon/xray/", AE_IFDIR, 0755},
          {"./etc/amazon/xray/cfg.yaml", AE_IFREG, 0644, "Version: 2\n"},
          {"./lib/", AE_IFDIR, 0755},
          {"./lib/systemd/", AE_IFDIR, 0755},
          {"./lib/systemd/system/", AE_IFDIR, 0755},
          {"./lib/systemd/system/xray.service", AE_IFREG, 0644, "[Service]\n"},
          {"./usr/", AE_IFDIR, 0755},
          {"./usr/bin/", AE_IFDIR, 0755},
          {"./usr/bin/xray", AE_IFREG, 0755, binary}};
}

// A whole .deb from a data.tar (already compressed, named DATA_NAME).
inline std::string make_deb_from(const std::string& arch, const std::string& data, const std::string& data_name = "data.tar.gz",
                                 bool gpg = true) {
  std::vector<std::pair<std::string, std::string>> members{
      {"debian-binary", "2.0\n"}, {"control.tar.gz", control_tar(arch)}, {data_name, data}};
  if (gpg) members.push_back({"_gpgorigin", "-----BEGIN PGP SIGNATURE-----\nnot checked here\n"});
  return make_ar(members);
}

inline std::string make_deb(const std::string& arch, const std::string& binary, const std::string& filter = "gzip",
                            bool gpg = true) {
  std::string ext = filter == "gzip" ? ".gz" : filter == "xz" ? ".xz" : filter == "zstd" ? ".zst" : "";
  return make_deb_from(arch, make_tar(daemon_entries(binary), filter), "data.tar" + ext, gpg);
}

}  // namespace xb::deb::testing
