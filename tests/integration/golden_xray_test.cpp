// An `xray:` descriptor builds the same image as before the agent seam
// (generator/agents/): the same daemon layer bytes, the same service layer
// (cfg.yaml, init.conf), the same image config and the same Dockerfile, ECS
// fragment and entrypoint, apart from the supervisor's own layer. The golden
// files in tests/fixtures/golden/xray-daemon/ were written by this test
// (XB_UPDATE_GOLDEN=1) from a build of main before the seam (a84ee9f).
//
// Regenerate only from a build of code known to make the right image (check
// out the commit before your change, build, run with XB_UPDATE_GOLDEN=1): the
// point is to compare with it. "made from usr/bin/xray" in layers.json names
// the stand-in daemon binary: if tests/fixtures/standin-daemon.c changes, the
// layer does too, and that line says so.
// ecs-task-definition.json gained "memoryReservation" (30 MiB + TotalBufferSizeMB)
// by hand in 2026-12, then "healthCheck" (xraybake-init --check) and
// "logConfiguration" (awslogs, the region from xray.config.Region) by hand;
// then the Dockerfile's header and FROM for a local base (ARG BASE, the Docker
// commands), rewritten with XB_UPDATE_GOLDEN=1 with nothing else changed:
// Then layers.json's compressed digests, rewritten with XB_UPDATE_GOLDEN=1
// when layers went from zlib to libdeflate in 1 MiB gzip members (issue 15.2):
// the configs' diff_ids did not change, so the uncompressed layers are the
// same bytes as before. The only changes since.
//
// What legitimately differs between machines is replaced by a token before the
// comparison: the fixture directory (<fixtures>), the .debs' sha256 (the
// stand-in signing key is made per build tree, so _gpgorigin differs), the
// base image's digests (busybox's version), and the supervisor layer's digest.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kGolden = fs::path(XB_SOURCE_DIR) / "tests/fixtures/golden/xray-daemon";
const std::vector<std::string> kArches{"amd64", "arm64"};

// Every setting that reaches an output, so that a change in any renderer shows.
std::string golden_descriptor() {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app, --port, \"5000\"]\n"
         "  workdir: /app\n"
         "  user: \"10002:10003\"\n"
         "  env: {ASPNETCORE_URLS: \"http://+:5000\", GREETING: \"a \\\"quoted\\\" $value\"}\n"
         "  ports: [\"5000/tcp\", \"9000/udp\"]\n"
         "  stop_timeout: 20s\n"
         "  tag: orders-api:1.4.2\n"
         "  labels: {team: payments, tier: \"1\"}\n"
         "xray:\n"
         "  version: 3.6.6\n"
         "  bucket_region: eu-west-1\n"
         "  signing_key: standin-signing-key.asc\n"
         "  config:\n"
         "    TotalBufferSizeMB: 24\n"
         "    LocalMode: true\n"
         "    Region: eu-west-1\n"
         "    Socket: {UDPAddress: \"0.0.0.0:2100\", TCPAddress: \"127.0.0.1:2101\"}\n"
         "    Logging: {LogLevel: debug}\n"
         "  args: [--log-level, debug]\n"
         "  log: /var/log/xray/daemon.log\n"
         "  flush_grace: 4s\n"
         "  ready_timeout: 3s\n"
         "  restart: {max_backoff: 20s}\n";
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

struct Build {
  fs::path out;
  json report;
  std::map<std::string, std::string> tokens;  // machine-dependent text -> its token
};

std::string normalized(std::string text, const Build& b) {
  for (const auto& [from, to] : b.tokens) replace_all(text, from, to);
  return text;
}

// The image config of ARCH with the base's part cut off: only the three added
// diff_ids and history entries stay, the supervisor's diff_id as a token.
json added_config(const Build& b, size_t platform) {
  const json& p = b.report["platforms"][platform];
  fs::path blob = b.out / "oci/blobs/sha256" / p["config"]["digest"].get<std::string>().substr(7);
  json c = json::parse(slurp(blob));
  auto& ids = c["rootfs"]["diff_ids"];
  json added(ids.end() - 3, ids.end());
  added[1] = "<xraybake-init layer>";
  c["rootfs"]["diff_ids"] = added;
  json history = json::array();
  for (const auto& h : c["history"])
    if (h.value("comment", "") == "xraybake") history.push_back(h);
  c["history"] = history;
  return c;
}

Build build_golden(const TempDir& tmp) {
  fs::copy_file(fixtures::signing_key_asc(), tmp / "standin-signing-key.asc");
  spit(tmp / "xraybake.yaml", golden_descriptor());
  auto r = run_command({XB_XRAYBAKE_BIN, "build", "-o", "out", "--cache-dir", (tmp / "cache").string()},
                       {{"XRAYBAKE_DAEMON_URL", "file://" + fixtures::deb_dir() + "/aws-xray-daemon-linux-{arch}-{version}.deb"},
                        {"SOURCE_DATE_EPOCH", "1700000000"}},
                       tmp.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Build b;
  b.out = tmp / "out";
  b.report = json::parse(slurp(b.out / "build.json"));
  b.tokens[fixtures::dir()] = "<fixtures>";
  b.tokens[tmp.path().string()] = "<dir>";
  for (size_t i = 0; i < kArches.size(); ++i) {
    const json& p = b.report["platforms"][i];
    b.tokens[p["daemon"]["sha256"].get<std::string>()] = "<deb sha256 " + kArches[i] + ">";
    auto manifest = json::parse(slurp(b.out / "oci/blobs/sha256" / p["manifest"]["digest"].get<std::string>().substr(7)));
    b.tokens[manifest["annotations"]["org.opencontainers.image.base.digest"].get<std::string>()] = "<base digest " + kArches[i] + ">";
  }
  // The service layer's files, as tar unpacks them.
  fs::create_directories(tmp / "service");
  auto t = run_command({"tar", "-xzf", (b.out / "layers/service.tar.gz").string(), "-C", (tmp / "service").string()});
  EXPECT_EQ(t.exit_code, 0) << t.err;
  return b;
}

// name -> what the golden file holds.
std::map<std::string, std::string> golden_files(const TempDir& tmp, const Build& b) {
  std::map<std::string, std::string> files;
  for (const char* f : {"Dockerfile", "ecs-task-definition.json", "docker-entrypoint.sh", "cfg.yaml"})
    files[f] = normalized(slurp(b.out / f), b);
  files["service/etc/amazon/xray/cfg.yaml"] = slurp(tmp / "service/etc/amazon/xray/cfg.yaml");
  files["service/etc/xraybake/init.conf"] = slurp(tmp / "service/etc/xraybake/init.conf");
  json layers = json::object();
  for (size_t i = 0; i < kArches.size(); ++i) {
    const std::string& arch = kArches[i];
    std::string file = "layers/xray-daemon-" + arch + ".tar.gz";
    // What the layer was made from: if the stand-in daemon itself changes, the
    // layer does too, and this says why.
    TempDir x;
    auto r = run_command({"dpkg-deb", "--fsys-tarfile", fixtures::deb(arch)}, {}, x.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    spit(x / "data.tar", r.out);
    r = run_command({"tar", "-xf", "data.tar", "./usr/bin/xray"}, {}, x.path().string());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    layers[file] = {{"sha256", sha256_hex(slurp(b.out / file))},
                    {"made from usr/bin/xray with sha256", sha256_hex(slurp(x / "usr/bin/xray"))}};
    files["config-" + arch + ".json"] = normalized(added_config(b, i).dump(2), b) + "\n";
  }
  layers["layers/service.tar.gz"] = {{"sha256", sha256_hex(slurp(b.out / "layers/service.tar.gz"))}};
  files["layers.json"] = layers.dump(2) + "\n";
  return files;
}

TEST(GoldenXray, XraySectionBuildsTheSameImageAsBeforeTheAgentSeam) {
  TempDir tmp;
  Build b = build_golden(tmp);
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto files = golden_files(tmp, b);
  if (const char* u = std::getenv("XB_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    for (const auto& [name, text] : files) spit(kGolden / name, text);
    GTEST_SKIP() << "wrote the golden files into " << kGolden;
  }
  for (const auto& [name, text] : files) {
    ASSERT_TRUE(fs::exists(kGolden / name)) << kGolden / name;
    EXPECT_EQ(text, slurp(kGolden / name)) << "differs from " << (kGolden / name).string();
  }
}

}  // namespace
}  // namespace xb::test
