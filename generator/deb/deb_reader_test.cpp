#include "deb/deb_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <fstream>

#include "deb/testing_deb.h"
#include "util/error.h"
#include "util/fs.h"

using namespace xb;
using namespace xb::deb;
using namespace xb::deb::testing;
using ::testing::HasSubstr;

namespace {

struct DebFile {
  fs::path path;
  explicit DebFile(const std::string& bytes, const std::string& name = "test.deb") {
    path = fs::temp_directory_path() / ("xb-deb-test-" + std::to_string(::getpid()) + "-" + name);
    write_file_atomic(path, bytes);
  }
  ~DebFile() { fs::remove(path); }
};

// Reads the binary out of BYTES for ARCH; returns it.
std::string read_binary(const std::string& bytes, const std::string& arch = "amd64", Limits limits = {},
                        ControlInfo* info = nullptr) {
  DebFile deb(bytes);
  std::string got;
  ReadOptions opts;
  opts.arch = arch;
  opts.limits = limits;
  auto ci = read_deb(deb.path, opts, [&](DaemonStream& s) {
    char buf[1000];
    while (size_t n = s.read(buf, sizeof buf)) got.append(buf, n);
    EXPECT_EQ(s.size, got.size());
    EXPECT_EQ(s.mode, 0755u);
  });
  if (info) *info = ci;
  return got;
}

// The bad_input error message of reading BYTES.
std::string refusal(const std::string& bytes, const std::string& arch = "amd64", Limits limits = {}) {
  try {
    read_binary(bytes, arch, limits);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input) << e.what();
    EXPECT_FALSE(e.hint().empty());
    return e.what();
  }
  ADD_FAILURE() << "the package was accepted";
  return {};
}

std::string with_data(const std::vector<TarEntry>& extra, const std::string& binary = fake_elf("amd64")) {
  auto entries = daemon_entries(binary);
  entries.insert(entries.end(), extra.begin(), extra.end());
  return make_deb_from("amd64", make_tar(entries));
}

}  // namespace

TEST(DebReader, ReadsEveryCompressionWithAndWithoutSignature) {
  std::string bin = fake_elf("amd64", 300000, 'q');
  for (std::string filter : {"gzip", "xz", "zstd", ""}) {
    for (bool gpg : {true, false}) {
      ControlInfo info;
      EXPECT_EQ(read_binary(make_deb("amd64", bin, filter, gpg), "amd64", {}, &info), bin) << filter << gpg;
      EXPECT_EQ(info.package, "xray");
      EXPECT_EQ(info.version, "3.6.6");
      EXPECT_EQ(info.architecture, "amd64");
    }
  }
}

TEST(DebReader, Arm64PackageForAmd64IsRefusedByControl) {
  EXPECT_THAT(refusal(make_deb("arm64", fake_elf("arm64")), "amd64"),
              HasSubstr("is a package for arm64 (control: Architecture: arm64), but the platform is linux/amd64"));
}

TEST(DebReader, WrongElfMachineIsRefusedEvenWhenControlLies) {
  // control says amd64, the binary is aarch64.
  EXPECT_THAT(refusal(make_deb("amd64", fake_elf("arm64"))),
              HasSubstr("/usr/bin/xray is a binary for arm64, but the platform is linux/amd64"));
  EXPECT_EQ(read_binary(make_deb("arm64", fake_elf("arm64")), "arm64"), fake_elf("arm64"));
}

TEST(DebReader, NotAnElf) {
  EXPECT_THAT(refusal(make_deb("amd64", "#!/bin/sh\necho I am not the daemon\n")),
              HasSubstr("'usr/bin/xray': not an ELF executable"));
}

TEST(DebReader, PathTraversal) {
  EXPECT_THAT(refusal(with_data({{"./usr/../../etc/passwd", AE_IFREG, 0644, "root::0:0"}})),
              HasSubstr("data.tar.gz: './usr/../../etc/passwd': path traversal"));
}

TEST(DebReader, AbsolutePath) {
  EXPECT_THAT(refusal(with_data({{"/etc/cron.d/evil", AE_IFREG, 0644, "* * * * * root sh"}})),
              HasSubstr("'/etc/cron.d/evil': absolute path"));
}

TEST(DebReader, SymlinkLeavingTheTree) {
  EXPECT_THAT(refusal(with_data({{"./usr/share/evil", AE_IFLNK, 0777, "", "../../../../etc/shadow"}})),
              HasSubstr("'./usr/share/evil': symbolic link to '../../../../etc/shadow' leaves the package"));
  // One that stays inside is fine.
  EXPECT_EQ(read_binary(with_data({{"./usr/bin/xray-link", AE_IFLNK, 0777, "", "../bin/xray"}})), fake_elf("amd64"));
}

TEST(DebReader, HardlinkLeavingTheTree) {
  EXPECT_THAT(refusal(with_data({{"./usr/bin/evil", AE_IFREG, 0644, "", "../../etc/shadow", true}})),
              HasSubstr("hard link to '../../etc/shadow' leaves the package"));
  EXPECT_THAT(refusal(with_data({{"./usr/bin/evil", AE_IFREG, 0644, "", "etc/shadow", true}})),
              HasSubstr("hard link to 'etc/shadow', which is not an earlier file"));
}

TEST(DebReader, DaemonAsLinkIsRefused) {
  auto entries = daemon_entries("");
  entries.back() = {"./usr/bin/xray", AE_IFLNK, 0777, "", "/bin/sh"};
  EXPECT_THAT(refusal(make_deb_from("amd64", make_tar(entries))), HasSubstr("is a link, not the agent's binary itself"));
}

TEST(DebReader, DeviceNodesAndFifos) {
  EXPECT_THAT(refusal(with_data({{"./dev/sda", AE_IFBLK, 0600}})), HasSubstr("'./dev/sda': device node"));
  EXPECT_THAT(refusal(with_data({{"./dev/mem", AE_IFCHR, 0600}})), HasSubstr("'./dev/mem': device node"));
  EXPECT_THAT(refusal(with_data({{"./tmp/pipe", AE_IFIFO, 0600}})), HasSubstr("'./tmp/pipe': fifo"));
}

TEST(DebReader, DuplicateEntries) {
  // A second xray after the good one would replace it on extraction.
  EXPECT_THAT(refusal(with_data({{"usr/bin/xray", AE_IFREG, 0755, fake_elf("amd64", 100, 'e')}})),
              HasSubstr("'usr/bin/xray': duplicate entry"));
}

TEST(DebReader, EntryOverTheSizeLimitIsABomb) {
  // 513 MiB of zeros: about half a megabyte compressed, over the default limit.
  std::string deb = with_data({{"./usr/share/bomb", AE_IFREG, 0644, "", "", false, (512ull << 20) + (1 << 20)}});
  EXPECT_LT(deb.size(), 4u << 20);
  EXPECT_THAT(refusal(deb), HasSubstr("'./usr/share/bomb': 537919488 bytes, over the limit of 536870912"));
  Limits small;
  small.max_entry_size = 1000;
  EXPECT_THAT(refusal(make_deb("amd64", fake_elf("amd64", 5000)), "amd64", small),
              HasSubstr("'./usr/bin/xray': 5000 bytes, over the limit of 1000"));
}

TEST(DebReader, TruncatedPackage) {
  std::string deb = make_deb("amd64", fake_elf("amd64", 200000, 'r'), "gzip", false);
  // Pseudo-random content so the compressed data is big enough to cut in the middle.
  std::string bin = fake_elf("amd64", 200000);
  for (size_t i = 64; i < bin.size(); ++i) bin[i] = static_cast<char>((i * 2654435761u) >> 13);
  deb = make_deb("amd64", bin, "gzip", false);
  EXPECT_THAT(refusal(deb.substr(0, deb.size() * 2 / 3)), HasSubstr("test.deb"));
  EXPECT_THAT(refusal(deb.substr(0, 40)), HasSubstr("test.deb"));
}

TEST(DebReader, CorruptCompressedData) {
  std::string bin = fake_elf("amd64", 200000);
  for (size_t i = 64; i < bin.size(); ++i) bin[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string data = make_tar(daemon_entries(bin));
  for (size_t i = data.size() / 2; i < data.size() / 2 + 64; ++i) data[i] = static_cast<char>(data[i] ^ 0x5a);
  EXPECT_THAT(refusal(make_deb_from("amd64", data)), HasSubstr("data.tar.gz"));
}

TEST(DebReader, NoDaemonBinary) {
  auto entries = daemon_entries("");
  entries.pop_back();
  EXPECT_THAT(refusal(make_deb_from("amd64", make_tar(entries))), HasSubstr("no /usr/bin/xray in the package"));
}

TEST(DebReader, NotADebAtAll) {
  EXPECT_THAT(refusal("just some text, not an ar archive"), HasSubstr("not a Debian package"));
  EXPECT_THAT(refusal(make_ar({{"data.tar.gz", make_tar(daemon_entries(fake_elf("amd64")))}})),
              HasSubstr("the first member must be debian-binary"));
  EXPECT_THAT(refusal(make_ar({{"debian-binary", "2.0\n"}, {"control.tar.gz", control_tar("amd64")},
                               {"data.tar.gz", make_tar(daemon_entries(fake_elf("amd64")))},
                               {"postinst", "#!/bin/sh\n"}})),
              HasSubstr("postinst: unexpected member"));
  EXPECT_THAT(refusal(make_ar({{"debian-binary", "2.0\n"}, {"control.tar.gz", control_tar("amd64")}})),
              HasSubstr("no data.tar member"));
}

TEST(DebReader, StreamsWithoutHoldingTheBinaryInMemory) {
  // A 300 MiB binary is handed over in chunks: peak memory grows far less than its size.
  auto entries = daemon_entries(fake_elf("amd64", 64));
  entries.back().zeros = 300ull << 20;
  DebFile deb(make_deb_from("amd64", make_tar(entries)));
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  uint64_t total = 0;
  ReadOptions opts;
  opts.arch = "amd64";
  read_deb(deb.path, opts, [&](DaemonStream& s) {
    std::vector<char> buf(1 << 16);
    while (size_t n = s.read(buf.data(), buf.size())) total += n;
  });
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_EQ(total, 64 + (300ull << 20));
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "KiB";
}
