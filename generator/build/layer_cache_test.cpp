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

TEST_F(LayerCacheTest, GivesBackOnlyTheLayerTheCallerNames) {
  LayerCache cache(dir / "cache");
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "miss"));
  EXPECT_FALSE(fs::exists(dir / "miss"));
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_EQ(fs::status(dir / "cache/layers/k.tar.gz").permissions() & fs::perms::all, fs::perms(0444));
  auto hit = cache.get("k", entry.blob, dir / "out.tar.gz");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->blob.digest, entry.blob.digest);
  EXPECT_EQ(hit->blob.diff_id, entry.blob.diff_id);
  EXPECT_EQ(hit->blob.size, bytes.size());
  EXPECT_EQ(read_file(dir / "out.tar.gz"), bytes);
  // A copy, never a link: what was hashed is what the build keeps.
  EXPECT_EQ(fs::hard_link_count(dir / "out.tar.gz"), 1u);
  EXPECT_FALSE(cache.get("other", entry.blob, dir / "out2.tar.gz"));
  // Nothing named: nothing handed out.
  EXPECT_FALSE(cache.get("k", BlobDigests{}, dir / "out3.tar.gz"));
}

// Regression: a layer planted under the (predictable) key with a .json that
// matches it was used. Now the caller names the digest (xraybake.lock's).
TEST_F(LayerCacheTest, PlantedLayerWithMatchingJsonIsNotUsed) {
  LayerCache cache(dir / "cache");
  fs::create_directories(dir / "cache/layers");
  const std::string evil = "a layer with another /usr/bin/xray";
  write_file_atomic(dir / "cache/layers/k.tar.gz", evil);
  nlohmann::json j{{"digest", "sha256:" + sha256_hex(evil)}, {"diff_id", entry.blob.diff_id},
                   {"size", evil.size()}, {"meta", {{"daemon_version", "3.6.6"}}}};
  write_file_atomic(dir / "cache/layers/k.json", j.dump());
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "out.tar.gz"));
  // The planted bytes under a .json that claims the expected digest: hashed, refused.
  j["digest"] = entry.blob.digest;
  j["size"] = entry.blob.size;
  write_file_atomic(dir / "cache/layers/k.tar.gz", evil + std::string(entry.blob.size - evil.size(), ' '));
  write_file_atomic(dir / "cache/layers/k.json", j.dump());
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "cache/layers/k.tar.gz"));
}

TEST_F(LayerCacheTest, CorruptEntryIsDroppedNotUsed) {
  LayerCache cache(dir / "cache");
  cache.put("k", dir / "layer.tar.gz", entry);
  fs::permissions(dir / "cache/layers/k.tar.gz", fs::perms(0644));
  {
    // Edited in place, stat() put back: hashed anyway.
    struct stat before {};
    ASSERT_EQ(::stat((dir / "cache/layers/k.tar.gz").c_str(), &before), 0);
    std::ofstream edit(dir / "cache/layers/k.tar.gz", std::ios::in | std::ios::out | std::ios::binary);
    edit.seekp(10);
    edit << 'X';
    edit.close();
    timespec times[2] = {{0, UTIME_OMIT}, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "cache/layers/k.tar.gz").c_str(), times, 0), 0);
  }
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "out.tar.gz"));
  EXPECT_FALSE(fs::exists(dir / "cache/layers/k.json"));
  // Broken metadata too.
  cache.put("k", dir / "layer.tar.gz", entry);
  write_file_atomic(dir / "cache/layers/k.json", "{not json");
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
}

TEST_F(LayerCacheTest, PlantedSymlinksAreNotFollowed) {
  LayerCache cache(dir / "cache");
  fs::create_directories(dir / "cache/layers");
  write_file_atomic(dir / "victim", "precious");
  fs::create_symlink(dir / "victim", dir / "cache/layers/k.tar.gz");
  fs::create_symlink(dir / "victim", dir / "cache/layers/k.json");
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_EQ(read_file(dir / "victim"), "precious");
  EXPECT_FALSE(fs::is_symlink(dir / "cache/layers/k.tar.gz"));
  ASSERT_TRUE(cache.get("k", entry.blob, dir / "out.tar.gz"));
  // A symlink in place of the entry is never read as the entry.
  fs::remove(dir / "cache/layers/k.tar.gz");
  fs::create_symlink(dir / "layer.tar.gz", dir / "cache/layers/k.tar.gz");
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out2.tar.gz"));
}

TEST_F(LayerCacheTest, LayerThatIsNotWhatTheEntrySaysIsNotKept) {
  LayerCache cache(dir / "cache");
  entry.blob.digest = "sha256:" + std::string(64, '0');
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_FALSE(fs::exists(dir / "cache/layers/k.tar.gz"));
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
}

TEST_F(LayerCacheTest, DisabledWithoutADirectory) {
  LayerCache cache{fs::path()};
  EXPECT_FALSE(cache.enabled());
  cache.put("k", dir / "layer.tar.gz", entry);
  EXPECT_FALSE(cache.get("k", entry.blob, dir / "out.tar.gz"));
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
