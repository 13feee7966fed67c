#include "supply/layer_contents.h"

#include <gtest/gtest.h>

#include "oci/layer_writer.h"
#include "support/temp_dir.h"
#include "util/error.h"
#include "util/sha256.h"

namespace xb::supply {
namespace {

TEST(LayerContents, EveryRegularFileWithItsDigestsReadBackFromTheTarball) {
  test::TempDir dir;
  oci::LayerEntry a;
  a.path = "/usr/bin/tool";
  a.mode = 0755;
  a.data = "binary";
  oci::LayerEntry d;
  d.path = "/var/empty";
  d.type = oci::LayerEntry::Type::directory;
  oci::LayerEntry l;
  l.path = "/usr/bin/link";
  l.type = oci::LayerEntry::Type::symlink;
  l.data = "tool";
  oci::LayerEntry b;
  b.path = "etc/app.conf";
  b.data = "";
  oci::write_layer(dir / "l.tar.gz", {a, d, l, b}, 0);
  auto files = layer_contents(dir / "l.tar.gz");
  ASSERT_EQ(files.size(), 2u) << "directories and links are not files";
  EXPECT_EQ(files[0].path, "/etc/app.conf");
  EXPECT_EQ(files[0].size, 0u);
  EXPECT_EQ(files[0].sha256, sha256_hex(""));
  EXPECT_EQ(files[0].sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(files[1].path, "/usr/bin/tool");
  EXPECT_EQ(files[1].size, 6u);
  EXPECT_EQ(files[1].sha256, sha256_hex("binary"));
}

TEST(LayerContents, AFileThatIsNoLayerIsARuntimeError) {
  test::TempDir dir;
  EXPECT_THROW(layer_contents(dir / "missing.tar.gz"), Error);
}

}  // namespace
}  // namespace xb::supply
