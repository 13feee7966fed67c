#include "oci/artifact_writer.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oci/digest.h"
#include "oci/layout.h"
#include "oci/testing_layout.h"
#include "support/require.h"
#include "support/temp_dir.h"
#include "util/fs.h"

namespace xb::oci {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json blob_json(const std::filesystem::path& dir, const std::string& digest) {
  return json::parse(read_file(blob_path(dir, digest)));
}

// A base image tagged 1.0 with an artifact about its manifest, listed in index.json.
struct Attached {
  test::TempDir tmp;
  std::filesystem::path dir;
  json image;  // the image's index.json entry
  json entry;  // the artifact's
  Attached() : dir(tmp / "layout") {
    testing::make_base(dir, {.tag = "1.0"});
    image = read_index(dir)["manifests"][0];
    LayoutWriter layout(dir);
    entry = put_artifact(layout, {"application/vnd.example+json", "", R"({"hello":1})", "doc.json", image,
                                  {{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}}});
    add_index_entries(dir, {entry});
  }
};

TEST(ArtifactWriter, ManifestHasTheArtifactTypeTheEmptyConfigOneLayerAndTheSubject) {
  Attached a;
  EXPECT_EQ(a.entry["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(a.entry["artifactType"], "application/vnd.example+json");
  json m = blob_json(a.dir, a.entry["digest"]);
  EXPECT_EQ(m["schemaVersion"], 2);
  EXPECT_EQ(m["artifactType"], "application/vnd.example+json");
  EXPECT_EQ(m["config"], json({{"mediaType", "application/vnd.oci.empty.v1+json"},
                               {"digest", "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
                               {"size", 2}}));
  EXPECT_EQ(read_file(blob_path(a.dir, m["config"]["digest"])), "{}");
  ASSERT_EQ(m["layers"].size(), 1u);
  EXPECT_EQ(m["layers"][0]["mediaType"], "application/vnd.example+json");
  EXPECT_EQ(m["layers"][0]["annotations"]["org.opencontainers.image.title"], "doc.json");
  EXPECT_EQ(read_file(blob_path(a.dir, m["layers"][0]["digest"])), R"({"hello":1})");
  EXPECT_EQ(m["subject"], json({{"mediaType", a.image["mediaType"]}, {"digest", a.image["digest"]}, {"size", a.image["size"]}}))
      << "the subject is a plain descriptor (no ref.name annotation copied)";
  EXPECT_EQ(m["annotations"]["org.opencontainers.image.created"], "1970-01-01T00:00:00Z");
}

TEST(ArtifactWriter, IndexListsTheArtifactAfterTheImageUntaggedAndOnce) {
  Attached a;
  add_index_entries(a.dir, {a.entry});  // again: not listed twice
  json index = read_index(a.dir);
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(index["manifests"][0], a.image);
  EXPECT_EQ(index["manifests"][1], a.entry);
  EXPECT_FALSE(index["manifests"][1].contains("annotations"));
  EXPECT_TRUE(is_artifact_entry(index["manifests"][1]));
  EXPECT_FALSE(is_artifact_entry(index["manifests"][0]));
  // No tag asked for: the only image, not "two entries, which one?".
  EXPECT_EQ(find_tagged(a.dir, "")["digest"], a.image["digest"]);
  EXPECT_EQ(find_tagged(a.dir, "1.0")["digest"], a.image["digest"]);
}

// The tools that read layouts still take the image by its tag with the artifact there.
TEST(ArtifactWriter, RealToolsStillReadTheLayout) {
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  XB_REQUIRE_TOOL("oci-image-tool", "oci-image-tool");
  XB_REQUIRE_TOOL("umoci", "umoci");
  Attached a;
  auto r = testing::run("skopeo copy oci:" + a.dir.string() + ":1.0 oci:" + (a.tmp / "copy").string() + ":x");
  EXPECT_EQ(r.status, 0) << r.output;
  r = testing::run("oci-image-tool validate --type manifest " + blob_path(a.dir, a.entry["digest"]).string());
  EXPECT_EQ(r.status, 0) << r.output;
  r = testing::run("oci-image-tool validate --type image --ref name=1.0 " + a.dir.string());
  EXPECT_EQ(r.status, 0) << r.output;
  if (::geteuid() == 0) {
    r = testing::run("umoci unpack --image " + a.dir.string() + ":1.0 " + (a.tmp / "bundle").string());
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(std::filesystem::exists(a.tmp / "bundle/rootfs/app/run"));
  }
}

}  // namespace
}  // namespace xb::oci
