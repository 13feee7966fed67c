// Pushing an image's referrers (OCI 1.1 artifacts the layout lists by the
// referrers tag schema, oci/artifact_writer.h): through the referrers API
// where the registry has one (tests/registry/fake_registry.h, as ECR), else
// under the sha256-<hex> tag (Debian's docker-registry, distribution 2.8).
#include <gtest/gtest.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "oci/artifact_writer.h"
#include "oci/layout.h"
#include "registry/fake_registry.h"
#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::registry {
namespace {

using nlohmann::json;
using regtest::quote;
using regtest::shell;

class PushReferrersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    options.cache_dir = (tmp / "cache").string();
    img = regtest::make_test_image(tmp / "img", "1.0", {regtest::test_bytes(5000, 3)}, {"linux/amd64", "linux/arm64"});
  }

  // Attaches to each platform manifest of the layout DIR an SBOM-like and a
  // provenance-like artifact with CONTENT; returns their descriptors per platform.
  std::vector<std::vector<json>> attach(const std::filesystem::path& dir, const std::string& content) {
    oci::LayoutWriter layout(dir);
    std::vector<std::vector<json>> all;
    std::vector<json> tagged;
    for (const auto& m : img.manifest_digests) {
      json subject = {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"digest", m},
                      {"size", std::filesystem::file_size(oci::blob_path(dir, m))}};
      std::vector<json> about = {
          oci::put_artifact(layout, {"application/spdx+json", "", content + m, "sbom.json", subject, {{"k", "v"}}}),
          oci::put_artifact(layout, {"application/vnd.in-toto+json", "", content, "provenance.json", subject, {}})};
      tagged.push_back(oci::put_referrers(layout, m, about));
      all.push_back(about);
    }
    oci::add_index_entries(dir, tagged);
    return all;
  }

  regtest::TempDir tmp;
  RegistryOptions options;
  regtest::TestImage img;
};

// What REF (a tag or digest of REPO) holds in REG, raw, as skopeo reads it.
std::string raw(const regtest::RegistryServer& reg, const std::string& repo, const std::string& ref) {
  const char sep = ref.rfind("sha256:", 0) == 0 ? '@' : ':';
  auto r = shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/" + repo + sep + ref);
  EXPECT_EQ(r.status, 0) << r.output;
  return r.output;
}

TEST_F(PushReferrersTest, WithoutTheReferrersApiTheyGoUnderTheReferrersTag) {
  XB_REQUIRE_TOOL("docker-registry", "docker-registry");
  XB_REQUIRE_TOOL("skopeo", "skopeo");
  regtest::RegistryServer reg;
  auto artifacts = attach(tmp / "img", "doc-1");
  PushResult r = push(tmp / "img", "1.0", reg.host() + "/svc:1.0", options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_EQ(r.referrers, 4);
  EXPECT_EQ(r.referrers_tags, 2);
  for (size_t i = 0; i < 2; ++i) {
    const std::string& m = img.manifest_digests[i];
    json index = json::parse(raw(reg, "svc", "sha256-" + m.substr(7)));
    EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
    EXPECT_EQ(index["manifests"], json(artifacts[i])) << "the descriptors as the referrers API lists them";
    for (const auto& a : artifacts[i]) {
      // Each artifact manifest by digest, byte for byte, and its document.
      EXPECT_EQ(raw(reg, "svc", a["digest"]), read_file(oci::blob_path(tmp / "img", a["digest"])));
      json manifest = json::parse(read_file(oci::blob_path(tmp / "img", a["digest"])));
      EXPECT_EQ(manifest["subject"]["digest"], m);
    }
  }
  // skopeo copies the fallback tag back, artifacts included.
  auto c = shell("skopeo copy --all" + reg.skopeo_src_flags() + " docker://" + reg.host() + "/svc:sha256-" +
                 img.manifest_digests[0].substr(7) + " oci:" + quote((tmp / "back").string()) + ":r");
  EXPECT_EQ(c.status, 0) << c.output;

  // Pushed again: nothing listed twice.
  PushResult again = push(tmp / "img", "1.0", reg.host() + "/svc:1.0", options);
  EXPECT_EQ(again.blobs_uploaded, 0);
  EXPECT_EQ(json::parse(raw(reg, "svc", "sha256-" + img.manifest_digests[0].substr(7)))["manifests"].size(), 2u);

  // Another layout of the same image with other artifacts: the tag keeps
  // what the registry had and adds these (the spec's merge).
  std::filesystem::copy(tmp / "img", tmp / "img2", std::filesystem::copy_options::recursive);
  json only_image = json::parse(read_file(tmp / "img" / "index.json"));
  only_image["manifests"] = json::array({only_image["manifests"][0]});
  write_file_atomic(tmp / "img2" / "index.json", only_image.dump());
  auto more = attach(tmp / "img2", "doc-2");
  push(tmp / "img2", "1.0", reg.host() + "/svc:1.0", options);
  json merged = json::parse(raw(reg, "svc", "sha256-" + img.manifest_digests[0].substr(7)));
  ASSERT_EQ(merged["manifests"].size(), 4u) << merged.dump(2);
  EXPECT_EQ(merged["manifests"][0], artifacts[0][0]);
  EXPECT_EQ(merged["manifests"][3], more[0][1]);
}

TEST_F(PushReferrersTest, WithTheReferrersApiNoTagIsWritten) {
  XB_REQUIRE_TOOL("curl", "curl");
  regtest::FakeRegistryOptions o;
  o.referrers_api = true;
  regtest::FakeRegistry reg(o);
  auto artifacts = attach(tmp / "img", "doc-1");
  PushResult r = push(tmp / "img", "1.0", reg.host() + "/svc:1.0", options);
  EXPECT_EQ(r.referrers, 4);
  EXPECT_EQ(r.referrers_tags, 0);
  for (size_t i = 0; i < 2; ++i) {
    const std::string& m = img.manifest_digests[i];
    EXPECT_FALSE(reg.has_manifest("svc", "sha256-" + m.substr(7))) << "no fallback tag beside the API";
    for (const auto& a : artifacts[i]) EXPECT_TRUE(reg.has_manifest("svc", a["digest"]));
    auto got = shell("curl -sf http://" + reg.host() + "/v2/svc/referrers/" + m);
    ASSERT_EQ(got.status, 0) << got.output;
    EXPECT_EQ(json::parse(got.output)["manifests"], json(artifacts[i]));
  }
}

TEST_F(PushReferrersTest, AnImageWithoutReferrersPushesNone) {
  regtest::FakeRegistry reg;
  PushResult r = push(tmp / "img", "1.0", reg.host() + "/svc:1.0", options);
  EXPECT_EQ(r.referrers, 0);
  EXPECT_EQ(r.referrers_tags, 0);
  EXPECT_EQ(r.manifests, 3);
}

}  // namespace
}  // namespace xb::registry
