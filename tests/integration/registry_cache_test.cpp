// The registry as the shared cache (issue 15.3), through the real binary:
// Debian's docker-registry on loopback, and a loopback mirror serving the
// stand-in .debs that counts its requests and can be made to fail. A build
// that pushes records in xraybake.lock the agent layer, its files and the
// package's facts; a runner with an empty cache and the mirror down then
// builds and pushes the same image from the pins alone, skipping or mounting
// the agent layer the registry holds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "registry/registry_server.h"
#include "support/http_server.h"
#include "support/temp_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using regtest::RegistryServer;

const std::vector<std::string> kArches = {"amd64", "arm64"};

class RegistryCache : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    XB_REQUIRE(fs::exists(fixtures::base_multi_oci() + "/index.json"),
               "no base-multi-oci fixture: umoci or busybox-static was missing when CMake ran");
    spit(dir / "svc/xraybake.yaml",
         "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "  tag: orders:1.0.0\n"
         "xray:\n"
         "  version: 3.6.6\n"
         "  config: {LocalMode: true}\n");
  }

  // Serves the fixture .debs by name, counting each GET; DOWN: 500 for everything.
  HttpServer mirror{[this](const Request& r) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (r.method == "GET") ++gets[r.target];
    }
    if (down) return Response::status_only(500);
    std::string file = fixtures::deb_dir() + r.target;
    if (!fs::exists(file)) return Response::status_only(404);
    return Response::bytes(read_file(file));
  }};
  std::mutex mu;
  std::map<std::string, int> gets;
  std::atomic<bool> down{false};
  TempDir dir;

  int deb_gets() {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& [target, count] : gets) n += count;
    return n;
  }

  RunResult xraybake(const std::string& cache, std::vector<std::string> args, const std::string& epoch = "1700000000") {
    std::vector<std::string> argv{XB_XRAYBAKE_BIN, "--cache-dir", (dir / cache).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    // One retry, quickly: the mirror that is down answers 500 at once.
    return run_command(argv,
                       {{"XRAYBAKE_DAEMON_URL", mirror.url("/aws-xray-daemon-linux-{arch}-{version}.deb")},
                        {"SOURCE_DATE_EPOCH", epoch},
                        {"XRAYBAKE_RETRIES", "1"},
                        {"XRAYBAKE_RETRY_BASE_MS", "10"},
                        {"DOCKER_CONFIG", (dir / "docker").string()},
                        {"CI", "true"}},
                       (dir / "svc").string());
  }

  json manifest_index(const RegistryServer& reg, const std::string& ref) {
    auto r = regtest::shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + ref);
    EXPECT_EQ(r.status, 0) << r.output;
    return json::parse(r.output, nullptr, false);
  }

  std::string remote_digest(const RegistryServer& reg, const std::string& ref) {
    auto r = regtest::shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + ref);
    EXPECT_EQ(r.status, 0) << r.output;
    return "sha256:" + sha256_hex(r.output);
  }

  std::map<std::string, std::string> sboms(const fs::path& out) {
    std::map<std::string, std::string> m;
    for (const auto& a : kArches) m[a] = read_file(out / "sbom" / (a + ".spdx.json"));
    return m;
  }
};

TEST_F(RegistryCache, EmptyCacheAndMirrorDownBuildsThePinnedImageFromTheRegistry) {
  RegistryServer reg;
  const std::string first_ref = reg.host() + "/team/orders:1.0.0";
  // 1. A build that pushes, with the mirror up: the lock pins the .debs, the
  // agent layers, their files and the packages' facts.
  RunResult first = xraybake("cache1", {"--json", "build", "-o", "out1", "--push=" + first_ref});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string digest = json::parse(first.out)["push"]["digest"];
  EXPECT_EQ(deb_gets(), 2);
  const json lock = json::parse(read_file(dir / "svc/xraybake.lock"));
  const json report1 = json::parse(read_file(dir / "svc/out1/build.json"));
  for (const auto& a : kArches) {
    const json& e = lock["daemon"][a];
    ASSERT_TRUE(e.contains("layer")) << lock.dump(2);
    EXPECT_EQ(e["layer"]["digest"], report1["layers"]["layers/xray-daemon-" + a + ".tar.gz"]["digest"]);
    ASSERT_EQ(e["layer"]["files"].size(), 1u) << e.dump(2);
    EXPECT_EQ(e["layer"]["files"][0]["path"], "/usr/bin/xray");
    EXPECT_EQ(e["package"]["name"], "xray");
  }
  EXPECT_FALSE(report1.contains("remote_blobs"));
  const auto sbom1 = sboms(dir / "svc/out1");
  const std::string lock_text = read_file(dir / "svc/xraybake.lock");

  // 2. An empty cache, the mirror down: --locked build --push to the same
  // repository. No .deb is asked for, nothing is compressed, the same image.
  down = true;
  gets.clear();
  RunResult same = xraybake("cache2", {"--json", "--locked", "build", "-o", "out2", "--push=" + first_ref});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(deb_gets(), 0);
  json push = json::parse(same.out)["push"];
  EXPECT_EQ(push["digest"], digest);
  EXPECT_EQ(push["blobs_uploaded"], 0) << push;
  const json report2 = json::parse(read_file(dir / "svc/out2/build.json"));
  EXPECT_EQ(report2["oci"]["index"], report1["oci"]["index"]);
  ASSERT_EQ(report2["remote_blobs"].size(), 2u) << report2.dump(2);
  for (size_t i = 0; i < kArches.size(); ++i) {
    const std::string& a = kArches[i];
    EXPECT_EQ(report2["platforms"][i]["agent_layer"]["from"], "registry") << report2["platforms"][i];
    EXPECT_EQ(report2["platforms"][i]["agent_layer"]["repository"], reg.host() + "/team/orders");
    EXPECT_EQ(report2["platforms"][i]["manifest"], report1["platforms"][i]["manifest"]);
    const json& rb = report2["remote_blobs"][i];
    EXPECT_EQ(rb["digest"], lock["daemon"][a]["layer"]["digest"]);
    EXPECT_EQ(rb["repository"], reg.host() + "/team/orders");
    EXPECT_EQ(rb["file"], "layers/xray-daemon-" + a + ".tar.gz");
    // Left in the registry: neither in OUT/layers nor in OUT/oci, nor compressed into the cache.
    EXPECT_FALSE(fs::exists(dir / ("svc/out2/layers/xray-daemon-" + a + ".tar.gz")));
    EXPECT_FALSE(fs::exists(dir / "svc/out2/oci/blobs/sha256" / rb["digest"].get<std::string>().substr(7)));
  }
  EXPECT_FALSE(fs::exists(dir / "cache2/layers"));
  EXPECT_FALSE(fs::exists(dir / "cache2/blobs/sha256" / lock["daemon"]["amd64"]["sha256"].get<std::string>()));
  EXPECT_EQ(sboms(dir / "svc/out2"), sbom1);  // from the pins, byte for byte
  EXPECT_EQ(read_file(dir / "svc/out2/provenance.json"), read_file(dir / "svc/out1/provenance.json"));
  EXPECT_EQ(read_file(dir / "svc/xraybake.lock"), lock_text);  // --locked
  // xraybake inspect reads OUT without the blobs it left in the registry.
  RunResult inspect = xraybake("cache2", {"--json", "inspect", "out2"});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(json::parse(inspect.out)["digest"], report1["oci"]["index"]["digest"]);

  // 3. Another repository, with --cache-repo naming the first: the agent layers are mounted.
  const std::string other_ref = reg.host() + "/apps/orders-copy:2";
  RunResult mounted = xraybake("cache3", {"--json", "--locked", "build", "-o", "out3", "--push=" + other_ref,
                                          "--cache-repo", reg.host() + "/team/orders"});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  EXPECT_EQ(deb_gets(), 0);
  push = json::parse(mounted.out)["push"];
  EXPECT_EQ(push["digest"], digest);
  EXPECT_GE(push["blobs_mounted"].get<int>(), 2) << push;
  const json report3 = json::parse(read_file(dir / "svc/out3/build.json"));
  EXPECT_EQ(report3["platforms"][1]["agent_layer"]["repository"], reg.host() + "/team/orders");
  EXPECT_EQ(sboms(dir / "svc/out3"), sbom1);
  EXPECT_EQ(remote_digest(reg, other_ref), digest);
  // What was pushed is whole: skopeo copies every platform, every blob.
  auto copy = regtest::shell("skopeo copy --all --preserve-digests --src-tls-verify=false docker://" + other_ref +
                             " oci:" + (dir / "back").string() + ":x");
  ASSERT_EQ(copy.status, 0) << copy.output;
  EXPECT_EQ(json::parse(read_file(dir / "back/index.json"))["manifests"][0]["digest"], digest);
  for (const auto& a : kArches)
    EXPECT_TRUE(fs::exists(dir / "back/blobs/sha256" / lock["daemon"][a]["layer"]["digest"].get<std::string>().substr(7)));

  // 4. With the .deb in the cache, a build is as it always was: the layer made or taken from the cache.
  down = false;
  RunResult warm = xraybake("cache1", {"--json", "--locked", "build", "-o", "out4", "--push=" + first_ref});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  const json report4 = json::parse(read_file(dir / "svc/out4/build.json"));
  EXPECT_FALSE(report4.contains("remote_blobs"));
  EXPECT_FALSE(report4["platforms"][0].contains("agent_layer"));
  EXPECT_TRUE(fs::exists(dir / "svc/out4/layers/xray-daemon-amd64.tar.gz"));
  EXPECT_EQ(json::parse(warm.out)["push"]["digest"], digest);
}

// service.compression: zstd: the pin names the compressor, and a zstd layer in the registry serves as well.
TEST_F(RegistryCache, ZstdLayerFromTheRegistry) {
  RegistryServer reg;
  std::string y = read_file(dir / "svc/xraybake.yaml");
  const std::string tag = "  tag: orders:1.0.0\n";
  y.replace(y.find(tag), tag.size(), tag + "  compression: zstd\n");
  spit(dir / "svc/xraybake.yaml", y);
  const std::string ref = reg.host() + "/team/orders-zstd:1";
  RunResult first = xraybake("cache1", {"--json", "build", "-o", "out1", "--push=" + ref});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json lock = json::parse(read_file(dir / "svc/xraybake.lock"));
  EXPECT_EQ(lock["daemon"]["amd64"]["layer"]["format"], "daemon-layer/2+zstd");
  down = true;
  gets.clear();
  RunResult again = xraybake("cache2", {"--json", "--locked", "build", "-o", "out2", "--push=" + ref});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(deb_gets(), 0);
  EXPECT_EQ(json::parse(again.out)["push"]["digest"], json::parse(first.out)["push"]["digest"]);
  const json report = json::parse(read_file(dir / "svc/out2/build.json"));
  ASSERT_EQ(report["remote_blobs"].size(), 2u) << report.dump(2);
  EXPECT_EQ(report["remote_blobs"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_EQ(report["remote_blobs"][0]["file"], "layers/xray-daemon-amd64.tar.zst");
  EXPECT_EQ(sboms(dir / "svc/out2"), sboms(dir / "svc/out1"));
}

// A fleet passes --cache-repo to each service: two services pushed to their
// own repositories, both mounting the agent layers from the cache repository.
TEST_F(RegistryCache, FleetMountsFromTheCacheRepo) {
  RegistryServer reg;
  ASSERT_EQ(xraybake("cache1", {"build", "-o", "out1", "--push=" + reg.host() + "/cache/orders:seed"}).exit_code, 0);
  const std::string yaml = read_file(dir / "svc/xraybake.yaml");
  for (const std::string name : {"alpha", "beta"}) {
    std::string y = yaml;
    y.replace(y.find("name: orders"), 12, "name: " + name);
    y.replace(y.find("tag: orders:1.0.0"), 17, "tag: " + reg.host() + "/apps/" + name + ":1");
    spit(dir / "svc" / name / "xraybake.yaml", y);
    fs::copy_file(dir / "svc/xraybake.lock", dir / "svc" / name / "xraybake.lock");
  }
  down = true;
  gets.clear();
  RunResult r = xraybake("cache2", {"--json", "--locked", "build", "alpha", "beta", "-o", "fleet", "--push",
                                    "--cache-repo", reg.host() + "/cache/orders"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(deb_gets(), 0);
  json all = json::parse(r.out);
  ASSERT_EQ(all.size(), 2u);
  for (const auto& s : all) {
    EXPECT_GE(s["push"]["blobs_mounted"].get<int>(), 2) << s.dump(2);
    EXPECT_EQ(s["image"]["remote_blobs"].size(), 2u) << s.dump(2);
    EXPECT_EQ(remote_digest(reg, reg.host() + "/apps/" + s["service"].get<std::string>() + ":1"), s["push"]["digest"]);
  }
}

TEST_F(RegistryCache, RegistryWithoutTheLayerAndMirrorDownIsAClearErrorAndNoOut) {
  RegistryServer reg;
  ASSERT_EQ(xraybake("cache1", {"build", "-o", "out1", "--push=" + reg.host() + "/team/orders:1"}).exit_code, 0);
  down = true;
  gets.clear();
  RunResult r = xraybake("cache2", {"--locked", "build", "-o", "out2", "--push=" + reg.host() + "/elsewhere/orders:1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(mirror.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")));
  EXPECT_THAT(r.err, HasSubstr("the registry does not hold the agent layer sha256:"));
  EXPECT_THAT(r.err, HasSubstr("hint: "));
  EXPECT_GE(deb_gets(), 1);
  EXPECT_FALSE(fs::exists(dir / "svc/out2"));
  auto inspect = regtest::shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/elsewhere/orders:1");
  EXPECT_NE(inspect.status, 0);

  // A layer pinned for another SOURCE_DATE_EPOCH is not this build's: the .deb is fetched and the layer made.
  down = false;
  gets.clear();
  RunResult other = xraybake("cache3", {"--locked", "build", "-o", "out3", "--push=" + reg.host() + "/team/orders:1"},
                             "1700000001");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(deb_gets(), 2);
  EXPECT_FALSE(json::parse(read_file(dir / "svc/out3/build.json")).contains("remote_blobs"));
  EXPECT_TRUE(fs::exists(dir / "svc/out3/layers/xray-daemon-amd64.tar.gz"));

  // --cache-repo serves a push only.
  RunResult local = xraybake("cache2", {"--locked", "build", "-o", "out2", "--cache-repo", reg.host() + "/team/orders"});
  EXPECT_EQ(local.exit_code, 2) << local.err;
  EXPECT_THAT(local.err, HasSubstr("add --push"));
  EXPECT_FALSE(fs::exists(dir / "svc/out2"));
}

}  // namespace
}  // namespace xb::test
