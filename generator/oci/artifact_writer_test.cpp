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

// A base image tagged 1.0 with two artifacts about its manifest, listed in
// index.json as the referrers tag schema lists them.
struct Attached {
  test::TempDir tmp;
  std::filesystem::path dir;
  json image;     // the image's index.json entry
  json entry;     // the first artifact's descriptor
  json second;    // the second's
  json referrers; // the referrers index's index.json entry
  Attached() : dir(tmp / "layout") {
    testing::make_base(dir, {.tag = "1.0"});
    image = read_index(dir)["manifests"][0];
    LayoutWriter layout(dir);
    entry = put_artifact(layout, {"application/vnd.example+json", "", R"({"hello":1})", "doc.json", image,
                                  {{"org.opencontainers.image.created", "1970-01-01T00:00:00Z"}}});
    second = put_artifact(layout, {"application/vnd.other+json", "", R"({"other":2})", "other.json", image, {}});
    referrers = put_referrers(layout, image["digest"], {entry, second});
    add_index_entries(dir, {referrers});
  }
};

TEST(ArtifactWriter, ManifestHasTheArtifactTypeTheEmptyConfigOneLayerAndTheSubject) {
  Attached a;
  EXPECT_EQ(a.entry["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(a.entry["artifactType"], "application/vnd.example+json");
  EXPECT_EQ(a.entry["annotations"]["org.opencontainers.image.created"], "1970-01-01T00:00:00Z")
      << "the descriptor carries the manifest's annotations, as the referrers API lists them";
  EXPECT_FALSE(a.second.contains("annotations"));
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

TEST(ArtifactWriter, ReferrersTagIsSha256DashTheSubjectsHex) {
  const std::string d = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(referrers_tag(d), "sha256-" + std::string(64, 'a'));
  EXPECT_TRUE(is_referrers_tag(referrers_tag(d)));
  EXPECT_FALSE(is_referrers_tag("1.0"));
  EXPECT_FALSE(is_referrers_tag("sha256-" + std::string(63, 'a')));
  EXPECT_FALSE(is_referrers_tag("sha256-" + std::string(64, 'A')));
  EXPECT_FALSE(is_referrers_tag("sha256-" + std::string(64, 'a') + ".sig"));
  EXPECT_THROW(referrers_tag("latest"), std::exception);
}

TEST(ArtifactWriter, IndexListsTheImageThenOneReferrersIndexTaggedForItsSubject) {
  Attached a;
  add_index_entries(a.dir, {a.referrers});  // again: not listed twice
  json index = read_index(a.dir);
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(index["manifests"][0], a.image);
  const json& r = index["manifests"][1];
  EXPECT_EQ(r["mediaType"], "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(r["annotations"]["org.opencontainers.image.ref.name"],
            "sha256-" + a.image["digest"].get<std::string>().substr(7));
  EXPECT_FALSE(is_artifact_entry(r));
  // Its content is what GET /v2/<name>/referrers/<digest> answers.
  json referrers = blob_json(a.dir, r["digest"]);
  EXPECT_EQ(referrers, json({{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.index.v1+json"},
                             {"manifests", {a.entry, a.second}}}));
  EXPECT_TRUE(is_artifact_entry(referrers["manifests"][0]));
  EXPECT_FALSE(is_artifact_entry(index["manifests"][0]));
  // No tag asked for: the only image, not "two entries, which one?".
  EXPECT_EQ(find_tagged(a.dir, "")["digest"], a.image["digest"]);
  EXPECT_EQ(find_tagged(a.dir, "1.0")["digest"], a.image["digest"]);
  try {
    find_tagged(a.dir, "2.0");
    ADD_FAILURE() << "no such tag";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("(it has: 1.0)")) << "the referrers tag is not offered as an image";
  }
}

// The tools that read layouts still take the image by its tag with the artifact there.
TEST(ArtifactWriter, RealToolsStillReadTheLayout) {
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  XB_REQUIRE_TOOL("oci-image-tool", "oci-image-tool");
  XB_REQUIRE_TOOL("umoci", "umoci");
  Attached a;
  auto r = testing::run("skopeo copy oci:" + a.dir.string() + ":1.0 oci:" + (a.tmp / "copy").string() + ":x");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const json& e : {a.entry, a.second}) {
    r = testing::run("oci-image-tool validate --type manifest " + blob_path(a.dir, e["digest"]).string());
    EXPECT_EQ(r.status, 0) << r.output;
  }
  r = testing::run("oci-image-tool validate --type imageIndex " + blob_path(a.dir, a.referrers["digest"]).string());
  EXPECT_EQ(r.status, 0) << r.output;
  // The referrers tag copies too: what a push without the referrers API sends.
  r = testing::run("skopeo copy --all oci:" + a.dir.string() + ":" + a.referrers["annotations"][kRefNameAnnotation].get<std::string>() +
                   " oci:" + (a.tmp / "copy").string() + ":r");
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
