// `xraybake inspect` through the real binary: a build's OUT, the same image
// pushed to Debian's docker-registry (referrers under the sha256-<hex> tag,
// no referrers API) and to a registry with the referrers API
// (tests/registry/fake_registry.h, as ECR), each read without a layer
// downloaded, each saying the same thing as build.json and the layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "registry/fake_registry.h"
#include "registry/registry_server.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

class Inspect : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE(fs::exists(fixtures::base_multi_oci() + "/index.json"),
               "no multi-platform base fixture: umoci or busybox-static was missing when CMake ran");
  }

  // Builds the service with AGENT (a descriptor section) into tmp/NAME/out, pushing to PUSH when given.
  RunResult build(const std::string& name, const std::string& agent, const std::vector<std::string>& extra = {}) {
    fs::path d = tmp / name;
    spit(d / "xraybake.yaml", "apiVersion: xraybake/v1\nservice:\n  name: orders-api\n  base: oci:" +
                                  fixtures::base_multi_oci() +
                                  ":latest\n  platforms: [linux/amd64, linux/arm64]\n"
                                  "  command: [/usr/local/bin/standin-app]\n  tag: orders-api:1.4.2\n" + agent);
    std::vector<std::string> argv{XB_XRAYBAKE_BIN, "--cache-dir", (tmp / "cache").string(), "build", "-o", "out"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const std::string debs = fixtures::deb_dir();
    return run_command(argv,
                       {{"XRAYBAKE_DAEMON_URL", "file://" + debs + "/aws-xray-daemon-linux-{arch}-{version}.deb"},
                        {"XRAYBAKE_OTELCOL_URL", "file://" + debs + "/otelcol/v0.131.0/otelcol-contrib_{version}_linux_{arch}.deb"},
                        {"SOURCE_DATE_EPOCH", "1700000000"},
                        {"DOCKER_CONFIG", (tmp / "docker").string()}},
                       d.string());
  }

  json inspect(const std::string& target) {
    auto r = run_command({XB_XRAYBAKE_BIN, "--json", "inspect", target}, {{"DOCKER_CONFIG", (tmp / "docker").string()}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? json::parse(r.out) : json();
  }

  static json blob(const fs::path& layout, const std::string& digest) {
    return json::parse(slurp(layout / "blobs/sha256" / digest.substr(7)));
  }

  // What the report says of the image, whatever it was read from.
  static json image_part(json report) {
    report.erase("reference");
    for (auto& p : report["platforms"]) p["referrers"].erase("source");
    return report;
  }

  TempDir tmp;
};

constexpr const char* kXray = "xray:\n  version: 3.6.6\n";
constexpr const char* kOtelcol = "agent:\n  kind: otelcol-contrib\n  version: 0.131.0\n  region: eu-west-1\n";

// From OUT: every platform, its layers as the manifest lists them (the last
// three xraybake's), the agent and xraybake as build.json says, and the SBOM
// and provenance attached to each platform manifest.
TEST_F(Inspect, OutSaysWhatTheBuildMade) {
  for (const auto& [name, agent, kind] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"xray", kXray, "xray-daemon"},
                                                                      {"otelcol", kOtelcol, "otelcol-contrib"}}) {
    SCOPED_TRACE(kind);
    auto b = build(name, agent);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const fs::path out = tmp / name / "out";
    const json report = inspect(out.string());
    const json build_json = json::parse(slurp(out / "build.json"));
    EXPECT_EQ(report["digest"], build_json["oci"]["index"]["digest"]);
    ASSERT_EQ(report["platforms"].size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const json& p = report["platforms"][i];
      const json& bp = build_json["platforms"][i];
      EXPECT_EQ(p["platform"], bp["platform"]);
      EXPECT_EQ(p["manifest"]["digest"], bp["manifest"]["digest"]);
      EXPECT_EQ(p["agent"]["kind"], kind);
      EXPECT_EQ(p["agent"]["version"], bp["daemon"]["version"]);
      EXPECT_EQ(p["agent"]["deb_sha256"], bp["daemon"]["sha256"]);
      EXPECT_EQ(p["xraybake_version"], build_json["xraybake_version"]);
      const json manifest = blob(out / "oci", bp["manifest"]["digest"]);
      ASSERT_EQ(p["layers"].size(), manifest["layers"].size());
      int64_t total = 0, ours = 0;
      for (size_t l = 0; l < manifest["layers"].size(); ++l) {
        EXPECT_EQ(p["layers"][l]["digest"], manifest["layers"][l]["digest"]);
        EXPECT_EQ(p["layers"][l]["size"], manifest["layers"][l]["size"]);
        total += manifest["layers"][l]["size"].get<int64_t>();
        ours += p["layers"][l]["xraybake"].get<bool>();
      }
      EXPECT_EQ(p["size"], total);
      EXPECT_EQ(ours, 3) << "the agent, xraybake-init and the service layer";
      EXPECT_FALSE(p["layers"][0]["xraybake"].get<bool>()) << "the base's";
      // The referrers: what the layout's sha256-<hex> index lists, each manifest read.
      const json listed = blob(out / "oci", build_json["referrers"][bp["platform"].get<std::string>()]["digest"]);
      ASSERT_EQ(p["referrers"]["artifacts"].size(), listed["manifests"].size());
      std::vector<std::string> types;
      for (size_t a = 0; a < listed["manifests"].size(); ++a) {
        EXPECT_EQ(p["referrers"]["artifacts"][a]["digest"], listed["manifests"][a]["digest"]);
        types.push_back(p["referrers"]["artifacts"][a]["artifactType"]);
      }
      EXPECT_THAT(types, ::testing::UnorderedElementsAre("application/spdx+json", "application/vnd.in-toto+json"));
      const std::string arch = bp["platform"].get<std::string>().substr(6);
      EXPECT_EQ(p["referrers"]["artifacts"][0]["title"], arch + ".spdx.json");
      EXPECT_EQ(p["referrers"]["artifacts"][0]["document_size"], fs::file_size(out / "sbom" / (arch + ".spdx.json")));
    }
    // For a person: the agent, the layers xraybake added, the attached documents.
    auto text = run_command({XB_XRAYBAKE_BIN, "inspect", out.string()});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_THAT(text.out, HasSubstr("linux/arm64"));
    EXPECT_THAT(text.out, HasSubstr("agent    " + kind + " " + build_json["platforms"][0]["daemon"]["version"].get<std::string>()));
    EXPECT_THAT(text.out, HasSubstr("/usr/local/bin/xraybake-init"));
    EXPECT_THAT(text.out, HasSubstr("application/spdx+json"));
    EXPECT_THAT(text.out, HasSubstr("amd64.spdx.json"));
    // oci:DIR:TAG names the same image.
    EXPECT_EQ(image_part(inspect("oci:" + (out / "oci").string() + ":1.4.2")), image_part(report));
  }
}

// The image's own base has no xraybake labels and nothing attached: said so, not invented.
TEST_F(Inspect, AnImageXraybakeDidNotMakeHasNoAgentAndNoReferrers) {
  const json report = inspect("oci:" + fixtures::base_multi_oci() + ":latest");
  ASSERT_EQ(report["platforms"].size(), 2u);
  for (const auto& p : report["platforms"]) {
    EXPECT_TRUE(p["agent"].is_null());
    EXPECT_TRUE(p["xraybake_version"].is_null());
    EXPECT_EQ(p["referrers"]["artifacts"], json::array());
  }
  auto text = run_command({XB_XRAYBAKE_BIN, "inspect", "oci:" + fixtures::base_multi_oci() + ":latest"});
  EXPECT_THAT(text.out, HasSubstr("referrers none"));
}

// Pushed to docker-registry (distribution 2.8, no referrers API): read from
// the registry, the same report as from OUT, the referrers from the tag.
TEST_F(Inspect, FromARegistryWithoutTheReferrersApiTheTagIsRead) {
  XB_REQUIRE_TOOL("docker-registry", "docker-registry");
  regtest::RegistryServer reg;
  const std::string ref = reg.host() + "/team/orders-api:1.4.2";
  auto b = build("svc", kXray, {"--push", ref});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json local = inspect((tmp / "svc/out").string());
  const json remote = inspect(ref);
  EXPECT_EQ(remote["reference"], ref);
  EXPECT_EQ(image_part(remote), image_part(local));
  ASSERT_EQ(remote["platforms"].size(), 2u);
  EXPECT_THAT(remote["platforms"][0]["referrers"]["source"].get<std::string>(), HasSubstr("no referrers API"));
  EXPECT_EQ(remote["platforms"][0]["referrers"]["artifacts"].size(), 2u);
  // By digest too.
  EXPECT_EQ(image_part(inspect(reg.host() + "/team/orders-api@" + local["digest"].get<std::string>())), image_part(local));
}

// Pushed to a registry with the referrers API: found through it, and no
// layer was fetched: the only blobs asked for are configs.
TEST_F(Inspect, FromARegistryWithTheReferrersApiNoLayerIsDownloaded) {
  regtest::FakeRegistryOptions o;
  o.referrers_api = true;
  regtest::FakeRegistry reg(o);
  const std::string ref = reg.host() + "/orders-api:1.4.2";
  auto b = build("svc", kXray, {"--push", ref});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json local = inspect((tmp / "svc/out").string());
  const size_t before = reg.api().requests().size();
  const json remote = inspect(ref);
  EXPECT_EQ(image_part(remote), image_part(local));
  EXPECT_THAT(remote["platforms"][1]["referrers"]["source"].get<std::string>(), HasSubstr("referrers API"));
  std::set<std::string> configs;
  for (const auto& p : local["platforms"]) configs.insert(p["config"]["digest"]);
  int blob_gets = 0;
  const auto requests = reg.api().requests();
  for (size_t i = before; i < requests.size(); ++i)
    if (const auto& r = requests[i]; r.method == "GET" && r.target.find("/blobs/") != std::string::npos) {
      ++blob_gets;
      EXPECT_TRUE(configs.count(r.target.substr(r.target.rfind('/') + 1))) << r.target << " is not a config";
    }
  EXPECT_EQ(blob_gets, 2);
}

// Bad targets: what is wrong and what to do, exit 2 for input, 1 for the registry.
TEST_F(Inspect, ErrorsNameTheTargetAndSayWhatToDo) {
  fs::create_directories(tmp / "empty");
  auto r = run_command({XB_XRAYBAKE_BIN, "inspect", (tmp / "empty").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr((tmp / "empty").string()));
  EXPECT_THAT(r.err, HasSubstr("not an OCI image layout"));
  regtest::FakeRegistry reg;
  r = run_command({XB_XRAYBAKE_BIN, "inspect", reg.host() + "/nothing:1.0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("tag \"1.0\""));
  EXPECT_THAT(r.err, HasSubstr("nothing"));
  r = run_command({XB_XRAYBAKE_BIN, "--offline", "inspect", reg.host() + "/nothing:1.0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--offline"));
}

}  // namespace
}  // namespace xb::test
