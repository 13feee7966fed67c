#include "build/made_layers.h"

#include <gtest/gtest.h>

#include "supply/layer_contents.h"
#include "support/temp_dir.h"
#include "util/fs.h"

namespace xb::build {
namespace {

std::vector<oci::LayerEntry> entries(const std::string& cfg = "LocalMode: true\n", uint32_t mode = 0644) {
  oci::LayerEntry dir;
  dir.path = "/etc/xraybake";
  dir.type = oci::LayerEntry::Type::directory;
  dir.mode = 0755;
  oci::LayerEntry file;
  file.path = "/etc/xraybake/cfg.yaml";
  file.mode = mode;
  file.data = cfg;
  return {dir, file};
}

TEST(MadeLayers, TheKeyIsEverythingTheBytesAreMadeOf) {
  const std::string key = made_layer_key(entries(), 1700000000, oci::Compression::gzip);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(made_layer_key(entries(), 1700000000, oci::Compression::gzip), key);
  EXPECT_NE(made_layer_key(entries("LocalMode: false\n"), 1700000000, oci::Compression::gzip), key);
  EXPECT_NE(made_layer_key(entries("LocalMode: true\n", 0600), 1700000000, oci::Compression::gzip), key);
  EXPECT_NE(made_layer_key(entries(), 0, oci::Compression::gzip), key);
  EXPECT_NE(made_layer_key(entries(), 1700000000, oci::Compression::zstd), key);
  // Lengths are part of it: moving a byte from one field to the next is another key.
  auto shifted = entries();
  shifted[1].path += "L";
  shifted[1].data.erase(0, 1);
  EXPECT_NE(made_layer_key(shifted, 1700000000, oci::Compression::gzip), key);
  auto streamed = entries();
  streamed[1].data.clear();
  streamed[1].size = 1;
  streamed[1].stream = [](char*, size_t) -> size_t { return 0; };
  EXPECT_EQ(made_layer_key(streamed, 1700000000, oci::Compression::gzip), "") << "not in memory: never made ahead";
}

TEST(MadeLayers, AMadeLayerIsTheBytesWriteLayerWritesWhereItWasWritten) {
  test::TempDir dir;
  for (auto c : {oci::Compression::gzip, oci::Compression::zstd}) {
    const auto key = made_layer_key(entries("Region: eu-west-1\n"), 1700000000, c);
    EXPECT_EQ(made_layer(key), nullptr);
    const fs::path ahead = dir.path() / ("ahead-" + std::string(oci::compression_info(c).name));
    make_layer_ahead(entries("Region: eu-west-1\n"), 1700000000, c, ahead);
    const MadeLayer* made = made_layer(key);
    ASSERT_NE(made, nullptr);
    EXPECT_EQ(made->file, ahead);
    const auto direct = oci::write_layer(dir.path() / "direct", entries("Region: eu-west-1\n"), 1700000000, c);
    EXPECT_EQ(read_file(ahead), read_file(dir.path() / "direct"));
    EXPECT_EQ(made->blob.digest, direct.digest);
    EXPECT_EQ(made->blob.diff_id, direct.diff_id);
    EXPECT_EQ(made->blob.size, direct.size);
    ASSERT_EQ(made->files.size(), 1u);
    const auto files = supply::layer_contents(dir.path() / "direct");
    EXPECT_EQ(made->files[0].path, files[0].path);
    EXPECT_EQ(made->files[0].sha256, files[0].sha256);
    EXPECT_EQ(made->files[0].sha1, files[0].sha1);
    // Made once: the same entries again neither write nor move it.
    make_layer_ahead(entries("Region: eu-west-1\n"), 1700000000, c, dir.path() / "again");
    EXPECT_EQ(made_layer(key)->file, ahead);
    EXPECT_FALSE(fs::exists(dir.path() / "again"));
    fs::remove(dir.path() / "direct");
  }
}

}  // namespace
}  // namespace xb::build
