#include "fetch/cache_admin.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "fetch/fetch.h"
#include "fetch/fetch_test_util.h"
#include "support/http_server.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;

class CacheAdminTest : public FetchTest {
 protected:
  fs::path root() const { return options.cache_dir; }
  // A layer entry as build/layer_cache.h writes it.
  void put_layer(const std::string& key, const std::string& bytes, const std::string& digest) {
    fs::create_directories(root() / "layers");
    write_file_atomic(root() / "layers" / (key + ".tar.gz"), bytes);
    write_file_atomic(root() / "layers" / (key + ".json"),
                      "{\"digest\": \"" + digest + "\", \"diff_id\": \"x\", \"size\": 1, \"meta\": "
                      "{\"daemon_version\": \"3.6.6\"}}");
  }
};

TEST_F(CacheAdminTest, ListsVerifiesAndCleans) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body));
  std::string base = server.url("");
  base.insert(base.find("://") + 3, "me:hunter2@");
  fetch_all(descriptor(base), options);
  put_layer("good", "layer bytes", "sha256:" + sha256_hex("layer bytes"));
  put_layer("bad", "other bytes", "sha256:" + sha256_hex("layer bytes"));
  write_file_atomic(root() / "blobs/sha256" / std::string(64, 'e'), "not what its name says");

  auto items = list_cache(root());
  ASSERT_EQ(items.size(), 4u);
  const CacheItem* deb = nullptr;
  for (const auto& i : items)
    if (i.kind == "deb") deb = &i;
  ASSERT_NE(deb, nullptr);
  EXPECT_EQ(deb->digest, "sha256:" + sha256_hex(body));
  EXPECT_EQ(deb->size, body.size());
  EXPECT_EQ(deb->version, "3.6.6");
  EXPECT_EQ(deb->url, server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb"));  // no credentials

  CacheCheck check = verify_cache(root());
  EXPECT_EQ(check.checked, 4u);
  ASSERT_EQ(check.removed.size(), 2u);
  EXPECT_FALSE(fs::exists(root() / "blobs/sha256" / std::string(64, 'e')));
  EXPECT_FALSE(fs::exists(root() / "layers/bad.tar.gz"));
  EXPECT_FALSE(fs::exists(root() / "layers/bad.json"));
  EXPECT_TRUE(fs::exists(root() / "layers/good.tar.gz"));
  EXPECT_TRUE(verify_cache(root()).removed.empty());

  // --older-than: only what was not used for that long.
  const fs::path old_layer = root() / "layers/good.tar.gz";
  timespec times[2] = {{0, UTIME_OMIT}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, old_layer.c_str(), times, 0), 0);
  EXPECT_EQ(clean_cache(root(), std::chrono::hours(24)), 2u);  // the layer and its .json
  EXPECT_FALSE(fs::exists(old_layer));
  EXPECT_TRUE(fs::exists(root() / "blobs/sha256" / sha256_hex(body)));
  EXPECT_GT(clean_cache(root(), std::nullopt), 0u);
  EXPECT_TRUE(list_cache(root()).empty());
  EXPECT_FALSE(fs::exists(root() / "blobs"));
}

TEST_F(CacheAdminTest, VerifyRemovesASymlinkInPlaceOfABlob) {
  fs::create_directories(root() / "blobs/sha256");
  write_file_atomic(dir / "target", "x");
  fs::create_symlink(dir / "target", root() / "blobs/sha256" / sha256_hex("x"));
  CacheCheck check = verify_cache(root());
  ASSERT_EQ(check.removed.size(), 1u);
  EXPECT_NE(check.removed[0].find("not a regular file"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "target"));
}

}  // namespace
}  // namespace xb::test
