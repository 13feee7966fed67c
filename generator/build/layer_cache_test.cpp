#include "build/layer_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "util/fs.h"
#include "util/sha256.h"

using namespace xb;
using namespace xb::build;
using namespace xb::oci;

namespace {

class LayerCacheTest : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() /
                 ("xb-layer-cache-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::string bytes = std::string(3 << 20, 'z') + "end";  // bigger than one copy chunk
  CachedLayer entry{{"sha256:" + sha256_hex(bytes), "sha256:" + std::string(64, 'd'), bytes.size()},
                    {{"daemon_version", "3.6.6"}}};
  void SetUp() override {
    fs::remove_all(dir);
    fs::create_directories(dir);
    write_file_atomic(dir / "layer.tar.gz", bytes);
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(LayerCacheTest, KeepsAndGivesBackTheLayerAndWhatWasSaidAboutIt) {
  LayerCache cache(dir / "cache");
  EXPECT_FALSE(cache.get("k", dir / "miss"));
  EXPECT_FALSE(fs::exists(dir / "miss"));
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_EQ(fs::status(dir / "cache/layers/k.tar.gz").permissions() & fs::perms::all, fs::perms(0444));
  auto hit = cache.get("k", dir / "out.tar.gz");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->blob.digest, entry.blob.digest);
  EXPECT_EQ(hit->blob.diff_id, entry.blob.diff_id);
  EXPECT_EQ(hit->blob.size, bytes.size());
  EXPECT_EQ(hit->meta["daemon_version"], "3.6.6");
  EXPECT_EQ(read_file(dir / "out.tar.gz"), bytes);
  // Same file system: linked, not written again.
  EXPECT_EQ(fs::hard_link_count(dir / "out.tar.gz"), 2u);
  EXPECT_FALSE(cache.get("other", dir / "out2.tar.gz"));
}

TEST_F(LayerCacheTest, CorruptEntryIsDroppedNotUsed) {
  LayerCache cache(dir / "cache");
  cache.put("k", dir / "layer.tar.gz", entry);
  fs::permissions(dir / "cache/layers/k.tar.gz", fs::perms(0644));
  write_file_atomic(dir / "cache/layers/k.tar.gz", bytes.substr(0, 100));
  EXPECT_FALSE(cache.get("k", dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "cache/layers/k.json"));
  // Broken metadata too.
  cache.put("k", dir / "layer.tar.gz", entry);
  write_file_atomic(dir / "cache/layers/k.json", "{not json");
  EXPECT_FALSE(cache.get("k", dir / "out.tar.gz"));
}

// The seal (util/file_seal.h) is what a hit trusts instead of hashing: an
// entry without one (an older cache) is hashed once and then sealed, and an
// entry edited in place is trusted while inode and mtime match, and hashed
// and dropped once the mtime moved.
TEST_F(LayerCacheTest, SealDecidesWhetherAHitIsHashedAgain) {
  LayerCache cache(dir / "cache");
  cache.put("k", dir / "layer.tar.gz", entry);
  const fs::path meta = dir / "cache/layers/k.json", blob = dir / "cache/layers/k.tar.gz";
  auto j = nlohmann::json::parse(read_file(meta));
  ASSERT_TRUE(j.contains("seal"));
  j.erase("seal");
  write_file_atomic(meta, j.dump());
  ASSERT_TRUE(cache.get("k", dir / "out.tar.gz"));
  EXPECT_TRUE(nlohmann::json::parse(read_file(meta)).contains("seal"));
  fs::remove(dir / "out.tar.gz");

  // Edited in place with its mtime put back: the seal still matches, so the
  // hit is not hashed (this is the hashing a warm build saves).
  struct stat before {};
  ASSERT_EQ(::stat(blob.c_str(), &before), 0);
  fs::permissions(blob, fs::perms(0644));
  {
    std::ofstream edit(blob, std::ios::in | std::ios::out | std::ios::binary);
    edit.seekp(10);
    edit << 'X';
  }
  timespec times[2] = {{0, UTIME_OMIT}, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, blob.c_str(), times, 0), 0);
  ASSERT_TRUE(cache.get("k", dir / "out.tar.gz"));
  fs::remove(dir / "out.tar.gz");

  times[1] = {1, 0};  // any real edit moves the mtime
  ASSERT_EQ(::utimensat(AT_FDCWD, blob.c_str(), times, 0), 0);
  EXPECT_FALSE(cache.get("k", dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(blob));
}

TEST_F(LayerCacheTest, LayerThatIsNotWhatTheEntrySaysIsNotKept) {
  LayerCache cache(dir / "cache");
  entry.blob.digest = "sha256:" + std::string(64, '0');
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_FALSE(fs::exists(dir / "cache/layers/k.tar.gz"));
  EXPECT_FALSE(cache.get("k", dir / "out.tar.gz"));
}

TEST_F(LayerCacheTest, DisabledWithoutADirectory) {
  LayerCache cache{fs::path()};
  EXPECT_FALSE(cache.enabled());
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_FALSE(cache.get("k", dir / "out.tar.gz"));
}

TEST(DaemonLayerKey, DependsOnEveryInput) {
  const std::string sha(64, 'a');
  auto k = daemon_layer_key(sha, "amd64", "usr/bin/xray", 0);
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, daemon_layer_key(sha, "amd64", "usr/bin/xray", 0));
  EXPECT_NE(k, daemon_layer_key(std::string(64, 'b'), "amd64", "usr/bin/xray", 0));
  EXPECT_NE(k, daemon_layer_key(sha, "arm64", "usr/bin/xray", 0));
  EXPECT_NE(k, daemon_layer_key(sha, "amd64", "usr/bin/xray2", 0));
  EXPECT_NE(k, daemon_layer_key(sha, "amd64", "usr/bin/xray", 1));
}

}  // namespace
