#include "oci/layer_writer.h"

#include <sys/resource.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/archive_handle.h"
#include "oci/testing_layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

using namespace xb;
using namespace xb::oci;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("xb-layer-test-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct TarLine {
  std::string name;
  unsigned type;
  unsigned mode;
  int64_t uid, gid, mtime;
  bool atime;
  std::string content;
};

std::vector<TarLine> read_back(const fs::path& file, int* format = nullptr) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  EXPECT_EQ(archive_read_open_filename(a.get(), file.c_str(), 4096), ARCHIVE_OK);
  std::vector<TarLine> out;
  archive_entry* e;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    TarLine t{archive_entry_pathname(e), archive_entry_filetype(e), archive_entry_perm(e), archive_entry_uid(e),
              archive_entry_gid(e), archive_entry_mtime(e), archive_entry_atime_is_set(e) != 0, {}};
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) t.content.append(buf, static_cast<size_t>(n));
    if (format) *format = archive_format(a.get());
    out.push_back(t);
  }
  return out;
}

std::vector<LayerEntry> service_like() {
  LayerEntry cfg;
  cfg.path = "/etc/amazon/xray/cfg.yaml";
  cfg.data = "Version: 2\n";
  LayerEntry log;
  log.path = "/var/log/xray";
  log.type = LayerEntry::Type::directory;
  log.mode = 0750;
  log.uid = 10001;
  log.gid = 10001;
  LayerEntry init;
  init.path = "/etc/xraybake/init.conf";
  init.data = "daemon = /usr/bin/xray\n";
  return {cfg, log, init};
}

}  // namespace

TEST(LayerWriter, SortedWithParentsNumericOwnersAndOneMtime) {
  TempDir tmp;
  int format = 0;
  write_layer(tmp.path / "l.tar.gz", service_like(), 1700000000);
  auto lines = read_back(tmp.path / "l.tar.gz", &format);
  EXPECT_EQ(format, ARCHIVE_FORMAT_TAR_USTAR);
  std::vector<std::string> names;
  for (const auto& l : lines) {
    names.push_back(l.name);
    EXPECT_EQ(l.mtime, 1700000000) << l.name;
    EXPECT_FALSE(l.atime) << l.name;
  }
  EXPECT_THAT(names, ::testing::ElementsAre("etc/", "etc/amazon/", "etc/amazon/xray/", "etc/amazon/xray/cfg.yaml",
                                            "etc/xraybake/", "etc/xraybake/init.conf", "var/", "var/log/",
                                            "var/log/xray/"));
  EXPECT_EQ(lines[0].mode, 0755u);
  EXPECT_EQ(lines[0].uid, 0);
  EXPECT_EQ(lines[3].content, "Version: 2\n");
  EXPECT_EQ(lines[3].mode, 0644u);
  EXPECT_EQ(lines[8].uid, 10001);
  EXPECT_EQ(lines[8].gid, 10001);
  EXPECT_EQ(lines[8].mode, 0750u);
  EXPECT_EQ(lines[7].uid, 0);  // /var/log stays root's
}

TEST(LayerWriter, SameInputSameBytesWhateverTheOrder) {
  TempDir tmp;
  auto a = service_like();
  auto b = service_like();
  std::reverse(b.begin(), b.end());
  auto da = write_layer(tmp.path / "a.tar.gz", a, 0);
  auto db = write_layer(tmp.path / "b.tar.gz", b, 0);
  EXPECT_EQ(da.digest, db.digest);
  EXPECT_EQ(read_file(tmp.path / "a.tar.gz"), read_file(tmp.path / "b.tar.gz"));
  // SOURCE_DATE_EPOCH changes the bytes.
  auto dc = write_layer(tmp.path / "c.tar.gz", a, 1);
  EXPECT_NE(dc.digest, da.digest);
}

TEST(LayerWriter, GzipHeaderHasNoNameNoTimeAndAFixedOs) {
  TempDir tmp;
  write_layer(tmp.path / "l.tar.gz", service_like(), 1700000000);
  std::string bytes = read_file(tmp.path / "l.tar.gz");
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
  EXPECT_EQ(bytes[3], 0) << "no FNAME, FCOMMENT or FEXTRA";
  EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0')) << "MTIME 0";
  EXPECT_EQ(bytes[9], 3) << "OS: Unix";
}

TEST(LayerWriter, DigestsOfBothSidesComputedInOnePass) {
  TempDir tmp;
  auto d = write_layer(tmp.path / "l.tar.gz", service_like(), 0);
  EXPECT_EQ(d.digest, "sha256:" + sha256_file_hex((tmp.path / "l.tar.gz").string()));
  EXPECT_EQ(d.size, fs::file_size(tmp.path / "l.tar.gz"));
  auto r = oci::testing::run("gzip -dc " + (tmp.path / "l.tar.gz").string() + " | sha256sum");
  EXPECT_EQ("sha256:" + r.output.substr(0, 64), d.diff_id);
}

TEST(LayerWriter, StreamedContentDoesNotGrowMemory) {
  TempDir tmp;
  const uint64_t size = 400ull << 20;
  uint64_t left = size;
  LayerEntry big;
  big.path = "/usr/bin/xray";
  big.mode = 0755;
  big.size = size;
  big.stream = [&](char* buf, size_t cap) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap, left));
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>((left - i) * 131);
    left -= n;
    return n;
  };
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  auto d = write_layer(tmp.path / "big.tar.gz", {big}, 0);
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  EXPECT_EQ(left, 0u);
  EXPECT_GT(d.size, 0u);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "KiB";
}

TEST(LayerWriter, RefusesUncleanOrConflictingPaths) {
  TempDir tmp;
  LayerEntry bad;
  bad.path = "/var/log/../../etc/shadow";
  try {
    write_layer(tmp.path / "x.tar.gz", {bad}, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/var/log/../../etc/shadow"));
  }
  LayerEntry file;
  file.path = "/var/log";
  LayerEntry child;
  child.path = "/var/log/xray.log";
  EXPECT_THROW(write_layer(tmp.path / "x.tar.gz", {file, child}, 0), Error);
}

TEST(LayerWriter, LargeOwnerIdsGetAPaxRecordWithoutTimes) {
  TempDir tmp;
  LayerEntry dir;
  dir.path = "/var/log/xray";
  dir.type = LayerEntry::Type::directory;
  dir.uid = 1000000000;
  dir.gid = 1000000001;
  auto a = write_layer(tmp.path / "a.tar.gz", {dir}, 1700000000);
  auto b = write_layer(tmp.path / "b.tar.gz", {dir}, 1700000000);
  EXPECT_EQ(a.digest, b.digest);
  auto lines = read_back(tmp.path / "a.tar.gz");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2].uid, 1000000000);
  EXPECT_EQ(lines[2].gid, 1000000001);
  EXPECT_EQ(lines[2].mtime, 1700000000);
  EXPECT_FALSE(lines[2].atime);
  auto r = oci::testing::run("gzip -dc " + (tmp.path / "a.tar.gz").string() + " | strings | grep -c -E 'atime|ctime'");
  EXPECT_EQ(r.output, "0\n");
}
