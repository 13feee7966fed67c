// `xraybake build --push` and registry bases through the real binary, against
// Debian's docker-registry on loopback, checked with skopeo.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <regex>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "registry/registry_server.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using regtest::RegistryServer;

class RegistryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    XB_REQUIRE(fs::exists(fixtures::dir() + "/base-oci/index.json"),
               "no base-oci fixture: umoci or busybox-static was missing when CMake ran "
               "(apt-get install umoci busybox-static, then rebuild)");
  }

  // A service on the fixture base (or BASE), in its own directory.
  fs::path service(const std::string& name, const std::string& base = "", const std::string& env = "{}") {
    fs::path d = tmp / name;
    spit(d / "xraybake.yaml",
         "apiVersion: xraybake/v1\nservice:\n  name: " + name + "\n  base: " +
             (base.empty() ? "oci:" + fixtures::dir() + "/base-oci:latest" : base) +
             "\n  platforms: [linux/amd64]\n  command: [/usr/local/bin/standin-app]\n  env: " + env +
             "\n  tag: " + name + ":1.0\nxray:\n  version: 3.6.6\n");
    return d;
  }

  RunResult build(const fs::path& dir, std::vector<std::string> extra, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv{XB_XRAYBAKE_BIN, "--cache-dir", (tmp / "cache").string(), "build", "-o", "out"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    env["XRAYBAKE_DAEMON_URL"] = "file://" + fixtures::deb_dir() + "/aws-xray-daemon-linux-{arch}-{version}.deb";
    env["SOURCE_DATE_EPOCH"] = "1700000000";
    env.emplace("DOCKER_CONFIG", (tmp / "docker").string());
    return run_command(argv, env, dir.string());
  }

  static std::string layout_digest(const fs::path& out) {
    return json::parse(slurp(out / "oci" / "index.json"))["manifests"][0]["digest"];
  }

  static std::string remote_digest(const RegistryServer& reg, const std::string& ref) {
    auto r = regtest::shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + ref);
    EXPECT_EQ(r.status, 0) << r.output;
    return "sha256:" + sha256_hex(r.output);
  }

  TempDir tmp;
};

TEST_F(RegistryCli, PushedImageHasTheLayoutsDigest) {
  RegistryServer reg;
  fs::path svc = service("orders-api");
  auto r = build(svc, {"--push", reg.host() + "/payments/orders-api:1.4.2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string digest = layout_digest(svc / "out");
  // stdout is the pinned reference, as crane push prints it.
  EXPECT_EQ(r.out, reg.host() + "/payments/orders-api@" + digest + "\n");
  EXPECT_EQ(remote_digest(reg, reg.host() + "/payments/orders-api:1.4.2"), digest);
  auto copy = regtest::shell("skopeo copy --all --preserve-digests --src-tls-verify=false docker://" + reg.host() +
                             "/payments/orders-api:1.4.2 oci:" + (tmp / "back").string() + ":x");
  ASSERT_EQ(copy.status, 0) << copy.output;
  EXPECT_EQ(json::parse(slurp(tmp / "back" / "index.json"))["manifests"][0]["digest"], digest);

  // Pushed again with --json: nothing is sent but the manifests.
  auto again = build(svc, {"--json", "--push=" + reg.host() + "/payments/orders-api:1.4.2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto report = json::parse(again.out);
  EXPECT_EQ(report["push"]["digest"], digest);
  EXPECT_EQ(report["push"]["reference"], reg.host() + "/payments/orders-api:1.4.2");
  EXPECT_EQ(report["push"]["blobs_uploaded"], 0);
  EXPECT_GE(report["push"]["blobs_existing"].get<int>(), 4);
}

TEST_F(RegistryCli, SecondServiceWithTheSameDaemonSendsOnlyItsOwnLayers) {
  RegistryServer reg;
  fs::path a = service("svc-a");
  ASSERT_EQ(build(a, {"--push", reg.host() + "/svc-a:1"}).exit_code, 0);
  fs::path b = service("svc-b", "", "{MODE: b}");
  auto r = build(b, {"--json", "--push", reg.host() + "/svc-b:1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto push = json::parse(r.out)["push"];
  uint64_t daemon = fs::file_size(b / "out" / "layers" / "xray-daemon-amd64.tar.gz");
  uint64_t init = fs::file_size(b / "out" / "layers" / "xraybake-init-amd64.tar.gz");
  uint64_t own = fs::file_size(b / "out" / "layers" / "service.tar.gz");
  // Base, daemon and supervisor layers are mounted from svc-a; the service
  // layer and the config are uploaded, plus the manifests; then its own SBOM
  // and provenance (the empty config mounted), under the referrers tag:
  // docker-registry has no referrers API.
  EXPECT_GE(push["blobs_mounted"].get<int>(), 3) << push;
  EXPECT_EQ(push["blobs_uploaded"], 2 + 2) << push;
  EXPECT_EQ(push["referrers"], 2) << push;
  EXPECT_EQ(push["referrers_tags"], 1) << push;
  EXPECT_GE(push["bytes_uploaded"].get<uint64_t>(), own);
  EXPECT_LT(push["bytes_uploaded"].get<uint64_t>(), std::min(daemon, init)) << push;
  EXPECT_EQ(remote_digest(reg, reg.host() + "/svc-b:1"), layout_digest(b / "out"));
}

// A fleet pushes each service as its service.tag (here on the loopback
// registry) and prints NAME@DIGEST for each, in the order given.
TEST_F(RegistryCli, FleetPushesEveryServiceAsItsTag) {
  RegistryServer reg;
  for (const char* n : {"fleet-a", "fleet-b"}) {
    fs::path d = service(n);
    std::string y = slurp(d / "xraybake.yaml");
    y.replace(y.find(std::string("tag: ") + n), 5, "tag: " + reg.host() + "/");
    spit(d / "xraybake.yaml", y);
  }
  auto r = build(tmp.path(), {"fleet-a", "fleet-b", "--push", "--insecure-registry", reg.host()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string a = layout_digest(tmp / "out/fleet-a"), b = layout_digest(tmp / "out/fleet-b");
  EXPECT_EQ(r.out, reg.host() + "/fleet-a@" + a + "\n" + reg.host() + "/fleet-b@" + b + "\n");
  EXPECT_EQ(remote_digest(reg, reg.host() + "/fleet-a:1.0"), a);
  EXPECT_EQ(remote_digest(reg, reg.host() + "/fleet-b:1.0"), b);
  // Each task definition names what was pushed, by digest.
  EXPECT_THAT(slurp(tmp / "out/fleet-b/ecs-task-definition.json"), HasSubstr(reg.host() + "/fleet-b@" + b));
}

// Issue 15.1: one registry session per host for a whole fleet. The registry
// asks for credentials (htpasswd), and a credential helper gives them (as
// ECR's does, where each run is a call to AWS): the fleet runs it once for
// every service, not once per build.
TEST_F(RegistryCli, FleetLooksUpARegistrysCredentialsOnceForAllItsServices) {
  RegistryServer reg({"helper-user", "from-helper", false});
  fs::path bin = tmp / "bin";
  spit(bin / "docker-credential-counting",
       "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> " + (tmp / "asked").string() +
           "\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"from-helper\"}' \"$server\"\n");
  fs::permissions(bin / "docker-credential-counting", fs::perms(0755));
  spit(tmp / "docker/config.json", R"({"credHelpers":{")" + reg.host() + R"(":"counting"}})");
  std::vector<std::string> names{"fleet-a", "fleet-b", "fleet-c"};
  for (const auto& n : names) {
    fs::path d = service(n);
    std::string y = slurp(d / "xraybake.yaml");
    y.replace(y.find("tag: " + n), 5, "tag: " + reg.host() + "/");
    spit(d / "xraybake.yaml", y);
  }
  auto r = build(tmp.path(), {"fleet-a", "fleet-b", "fleet-c", "--push", "-j", "3"},
                 {{"PATH", bin.string() + ":" + std::getenv("PATH")}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& n : names)
    EXPECT_EQ(remote_digest(reg, reg.host() + "/" + n + ":1.0"), layout_digest(tmp / "out" / n)) << n;
  EXPECT_EQ(slurp(tmp / "asked"), reg.host() + "\n") << "the credential helper ran more than once";
}

TEST_F(RegistryCli, RegistryBaseBuildsTheSameImageAsTheLayout) {
  RegistryServer reg;
  auto cp = regtest::shell("skopeo copy --preserve-digests --dest-tls-verify=false oci:" + fixtures::dir() +
                           "/base-oci:latest docker://" + reg.host() + "/base/busybox:latest");
  ASSERT_EQ(cp.status, 0) << cp.output;
  fs::path local = service("from-layout");
  fs::path remote = service("from-registry", reg.host() + "/base/busybox:latest");
  // The same service name for both, so only service.base differs.
  spit(remote / "xraybake.yaml", std::regex_replace(slurp(remote / "xraybake.yaml"), std::regex("from-registry"), "from-layout"));
  auto l = build(local, {});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  auto r = build(remote, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto manifest_of = [](const fs::path& out) {
    auto index = json::parse(slurp(out / "oci" / "blobs" / "sha256" / layout_digest(out).substr(7)));
    std::string m = index["manifests"][0]["digest"];
    return json::parse(slurp(out / "oci" / "blobs" / "sha256" / m.substr(7)));
  };
  json ml = manifest_of(local / "out"), mr = manifest_of(remote / "out");
  EXPECT_EQ(mr["layers"], ml["layers"]);  // every layer, byte for byte
  EXPECT_EQ(mr["annotations"]["org.opencontainers.image.base.digest"],
            ml["annotations"]["org.opencontainers.image.base.digest"]);
  auto config_of = [](const fs::path& out, const json& m) {
    json c = json::parse(slurp(out / "oci" / "blobs" / "sha256" / m["config"]["digest"].get<std::string>().substr(7)));
    c["config"]["Labels"].erase("org.opencontainers.image.base.name");  // service.base as written
    return c;
  };
  EXPECT_EQ(config_of(remote / "out", mr), config_of(local / "out", ml));
}

TEST_F(RegistryCli, WrongPasswordIsExit1AndWritesNoTag) {
  RegistryServer reg({"ci", "s3cret", false});
  auto b64 = regtest::shell("printf %s ci:wrong | base64 -w0").output;
  spit(tmp / "docker" / "config.json", R"({"auths":{")" + reg.host() + R"(":{"auth":")" + b64 + R"("}}})");
  fs::path svc = service("orders-api");
  auto r = build(svc, {"--push", reg.host() + "/orders-api:1.0"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("authentication failed at registry " + reg.host() + " as user \"ci\""));
  EXPECT_THAT(r.err, HasSubstr("hint: "));
  auto inspect = regtest::shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/orders-api:1.0");
  EXPECT_NE(inspect.status, 0);
  EXPECT_THAT(inspect.output, HasSubstr("manifest unknown"));
}

TEST_F(RegistryCli, TlsRegistryWithCaBundleFromTheEnvironment) {
  XB_REQUIRE_TOOL("openssl", "openssl");
  RegistryServer reg({"", "", true});
  fs::path svc = service("orders-api");
  auto untrusted = build(svc, {"--push", reg.host() + "/orders-api:1.0"});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_THAT(untrusted.err, HasSubstr("XRAYBAKE_CA_BUNDLE"));
  auto r = build(svc, {"--push", reg.host() + "/orders-api:1.0"}, {{"XRAYBAKE_CA_BUNDLE", reg.ca_file()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(remote_digest(reg, reg.host() + "/orders-api:1.0"), layout_digest(svc / "out"));
}

TEST_F(RegistryCli, TlsRegistryWithCaBundleFlag) {
  XB_REQUIRE_TOOL("openssl", "openssl");
  RegistryServer reg({"", "", true});
  fs::path svc = service("orders-api");
  auto r = build(svc, {"--ca-bundle", reg.ca_file(), "--push", reg.host() + "/orders-api:2.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(remote_digest(reg, reg.host() + "/orders-api:2.0"), layout_digest(svc / "out"));
  auto missing = build(svc, {"--ca-bundle", (tmp / "nowhere.pem").string(), "--push", reg.host() + "/orders-api:2.0"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("nowhere.pem"));
}

TEST_F(RegistryCli, InsecureRegistrySkipsCertificateChecks) {
  XB_REQUIRE_TOOL("openssl", "openssl");
  RegistryServer reg({"", "", true});
  fs::path svc = service("orders-api");
  auto r = build(svc, {"--insecure-registry", reg.host(), "--push", reg.host() + "/orders-api:1.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(remote_digest(reg, reg.host() + "/orders-api:1.0"), layout_digest(svc / "out"));
}

TEST_F(RegistryCli, UnknownBaseAndOfflinePush) {
  RegistryServer reg;
  fs::path svc = service("orders-api", reg.host() + "/no/such-base:9");
  auto r = build(svc, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("service.base"));
  EXPECT_THAT(r.err, HasSubstr("tag \"9\" of repository \"no/such-base\""));
  auto offline = run_command({XB_XRAYBAKE_BIN, "--offline", "build", "--push=" + reg.host() + "/x:1"}, {},
                             service("other").string());
  EXPECT_EQ(offline.exit_code, 2);
  EXPECT_THAT(offline.err, HasSubstr("--offline"));
}

}  // namespace
}  // namespace xb::test
