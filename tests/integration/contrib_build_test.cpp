// `xraybake build` of an agent.kind: otelcol-contrib descriptor through the
// real binary, against the stand-in packaged like the release's .deb
// (/usr/bin/otelcol-contrib, /etc/otelcol-contrib, a systemd unit, unsigned)
// and its checksums file beside it, from a file:// mirror (XRAYBAKE_OTELCOL_URL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/temp_dir.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kSums = "opentelemetry-collector-releases_otelcol-contrib_checksums.txt";
const std::string kRelease = fixtures::deb_dir() + "/otelcol/v0.131.0";

std::string descriptor() {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "agent:\n"
         "  kind: otelcol-contrib\n"
         "  version: 0.131.0\n"
         "  region: eu-west-1\n";
}

RunResult build(const TempDir& dir, const std::string& release_dir) {
  return run_command({XB_XRAYBAKE_BIN, "build", "-o", "out", "--cache-dir", (dir / "cache").string()},
                     {{"XRAYBAKE_OTELCOL_URL", "file://" + release_dir + "/otelcol-contrib_{version}_linux_{arch}.deb"},
                      {"SOURCE_DATE_EPOCH", "1700000000"}},
                     dir.path().string());
}

TEST(ContribBuild, TheReleasesChecksumsPinTheDebAndTheLayerHoldsOnlyTheBinary) {
  TempDir dir;
  spit(dir / "xraybake.yaml", descriptor());
  auto r = build(dir, kRelease);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string arch : {"amd64", "arm64"}) {
    fs::path layer = dir / ("out/layers/otelcol-contrib-" + arch + ".tar.gz");
    ASSERT_TRUE(fs::exists(layer)) << layer;
    auto t = run_command({"tar", "-tzf", layer.string()});
    std::vector<std::string> files;
    for (const auto& l : lines(t.out))
      if (l.back() != '/') files.push_back(l);
    EXPECT_EQ(files, std::vector<std::string>{"usr/bin/otelcol-contrib"}) << arch;
  }
  // The lock holds the checksums file's sha256 for each .deb, under the canonical URL.
  std::string lock = slurp(dir / "xraybake.lock");
  std::string sums = slurp(kRelease + "/" + kSums);
  for (const std::string arch : {"amd64", "arm64"}) {
    std::string deb = kRelease + "/otelcol-contrib_0.131.0_linux_" + arch + ".deb";
    std::string sha = sha256_file_hex(deb);
    EXPECT_THAT(sums, HasSubstr(sha + "  otelcol-contrib_0.131.0_linux_" + arch + ".deb"));
    EXPECT_THAT(lock, HasSubstr(sha));
  }
  EXPECT_THAT(lock, HasSubstr("https://github.com/open-telemetry/opentelemetry-collector-releases/releases/download/"
                              "v0.131.0/otelcol-contrib_0.131.0_linux_amd64.deb"));
  std::string config = slurp(dir / "out/agent/config.yaml");
  EXPECT_THAT(config, HasSubstr("awsxray:"));
  EXPECT_THAT(config, HasSubstr("health_check:"));
}

TEST(ContribBuild, ADebThatIsNotTheOneTheChecksumsListIsRefusedAndNothingIsKept) {
  TempDir dir, mirror;
  // The release as a hostile mirror serves it: the amd64 .deb swapped for another package.
  for (const auto& e : fs::directory_iterator(kRelease)) fs::copy_file(e.path(), mirror / e.path().filename());
  fs::remove(mirror / "otelcol-contrib_0.131.0_linux_amd64.deb");
  fs::copy_file(fixtures::deb_dir() + "/aws-otel-collector-amd64-0.49.0.deb",
                mirror / "otelcol-contrib_0.131.0_linux_amd64.deb");
  spit(dir / "xraybake.yaml", descriptor());
  auto r = build(dir, mirror.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the release's checksums file"));
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));

  // A checksums file without a line for the .deb: nothing downloaded, exit 2.
  spit(mirror / kSums, std::string(64, 'a') + "  otelcol-contrib_0.131.0_linux_riscv64.deb\n");
  r = build(dir, mirror.path().string());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("has no sha256 line for otelcol-contrib_0.131.0_linux_amd64.deb"));
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
}

}  // namespace
}  // namespace xb::test
