#include "build/fleet_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "util/fs.h"

using namespace xb;
using namespace xb::build;

namespace {

class FleetStoreTest : public ::testing::Test {
 protected:
  test::TempDir tmp;
  fs::path dir = tmp.path();
  StoredLayer layer{{"sha256:" + std::string(64, 'a'), "sha256:" + std::string(64, 'b'), 5},
                    "3.6.6",
                    PackageFacts{"xray", "AWS", "Amazon", "https://aws.amazon.com", "the daemon", "Apache-2.0"},
                    {{"/usr/bin/xray", 5, std::string(64, 'c'), std::string(40, 'd')}}};
  void SetUp() override {
    fs::create_directories(dir / "store");
    write_file(dir / "made.tar.gz", "bytes");
  }
  void TearDown() override { set_fleet_store({}); }
  static ino_t ino(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
  }
};

TEST_F(FleetStoreTest, WithoutAStoreNothingIsKeptOrTaken) {
  fleet_store_put("k", dir / "made.tar.gz", layer);
  EXPECT_FALSE(fleet_store_take("k", dir / "taken"));
  EXPECT_FALSE(fs::exists(dir / "taken"));
  EXPECT_TRUE(fs::is_empty(dir / "store"));
}

TEST_F(FleetStoreTest, ATakenLayerIsTheFilePutWithWhatItIs) {
  set_fleet_store(dir / "store");
  EXPECT_FALSE(fleet_store_take("k", dir / "taken"));  // nothing put yet
  fleet_store_put("k", dir / "made.tar.gz", layer);
  auto got = fleet_store_take("k", dir / "taken");
  ASSERT_TRUE(got);
  EXPECT_EQ(ino(dir / "taken"), ino(dir / "made.tar.gz"));  // linked, never copied
  EXPECT_EQ(got->blob.digest, layer.blob.digest);
  EXPECT_EQ(got->blob.diff_id, layer.blob.diff_id);
  EXPECT_EQ(got->blob.size, 5u);
  EXPECT_EQ(got->version, "3.6.6");
  EXPECT_EQ(got->package, layer.package);
  EXPECT_EQ(got->files, layer.files);
  EXPECT_FALSE(fleet_store_take("other-key", dir / "other"));
}

TEST_F(FleetStoreTest, TheFirstPutWinsAndATakeOntoAnExistingFileIsAMiss) {
  set_fleet_store(dir / "store");
  fleet_store_put("k", dir / "made.tar.gz", layer);
  write_file(dir / "second.tar.gz", "other");
  StoredLayer second = layer;
  second.version = "9.9.9";
  fleet_store_put("k", dir / "second.tar.gz", second);
  auto got = fleet_store_take("k", dir / "taken");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->version, "3.6.6");
  EXPECT_EQ(read_file(dir / "taken"), "bytes");
  // The caller's file is never replaced: it makes the layer itself.
  write_file(dir / "exists", "mine");
  EXPECT_FALSE(fleet_store_take("k", dir / "exists"));
  EXPECT_EQ(read_file(dir / "exists"), "mine");
}

TEST_F(FleetStoreTest, FactsWithoutTheirLayerAreAMiss) {
  set_fleet_store(dir / "store");
  write_file(dir / "store/k.json", R"({"digest":"sha256:x","diff_id":"sha256:y","size":1,"version":"1","files":[]})");
  EXPECT_FALSE(fleet_store_take("k", dir / "taken"));
  write_file(dir / "store/bad.json", "{not json");
  write_file(dir / "store/bad.layer", "x");
  EXPECT_FALSE(fleet_store_take("bad", dir / "taken"));
  EXPECT_FALSE(fs::exists(dir / "taken"));
}

TEST_F(FleetStoreTest, AVerifiedBlobIsKnownByItsInodeNotByItsContent) {
  const std::string digest = "sha256:" + std::string(64, 'e');
  write_file(dir / "blob", "base layer");
  write_file(dir / "same-bytes", "base layer");
  int fd = ::open((dir / "blob").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  fleet_store_put_verified(digest, dir / "blob", fd);  // no store: nothing kept
  set_fleet_store(dir / "store");
  EXPECT_FALSE(fleet_store_verified(digest, fd));
  fleet_store_put_verified(digest, dir / "blob", fd);
  EXPECT_TRUE(fleet_store_verified(digest, fd));
  int other = ::open((dir / "same-bytes").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(other, 0);
  EXPECT_FALSE(fleet_store_verified(digest, other)) << "another file with the same bytes was never hashed";
  EXPECT_FALSE(fleet_store_verified("sha256:" + std::string(64, 'f'), fd)) << "known only for the digest it had";
  // A blob replaced after it was hashed (a rename onto its name) is another file.
  fs::rename(dir / "same-bytes", dir / "blob");
  int replaced = ::open((dir / "blob").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_FALSE(fleet_store_verified(digest, replaced));
  ::close(fd);
  ::close(other);
  ::close(replaced);
}

}  // namespace
