// `xraybake build` of an agent.kind: adot-collector descriptor through the
// real binary, against the stand-in ADOT .deb packaged like AWS's (agents.md:
// /opt/aws/aws-otel-collector/..., a ctl script, systemd and upstart files,
// symlinks, signed _gpgorigin), from a file:// mirror (XRAYBAKE_ADOT_URL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

const std::string kMirror = "file://" + fixtures::deb_dir() + "/aws-otel-collector-{arch}-{version}.deb";

std::string descriptor(const std::string& extra = "") {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "  env: {ASPNETCORE_URLS: \"http://+:5000\"}\n"
         "  tag: orders-api:2.0.0\n"
         "agent:\n"
         "  kind: adot-collector\n"
         "  version: 0.49.0\n"
         "  signing_key: standin-signing-key.asc\n"
         "  region: eu-west-1\n"
         "  local_mode: true\n"
         "  buffer_mb: 32\n"
         "  flush_grace: 4s\n" + extra;
}

RunResult build(const TempDir& dir, const std::string& mirror = kMirror, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{XB_XRAYBAKE_BIN};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const char* a : {"build", "-o", "out", "--cache-dir"}) argv.push_back(a);
  argv.push_back((dir / "cache").string());
  return run_command(argv, {{"XRAYBAKE_ADOT_URL", mirror}, {"XRAYBAKE_DAEMON_URL", ""}, {"SOURCE_DATE_EPOCH", "1700000000"}},
                     dir.path().string());
}

std::vector<std::string> tar_list(const fs::path& layer) {
  auto r = run_command({"tar", "-tzf", layer.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return lines(r.out);
}

std::string tar_file(const fs::path& layer, const std::string& member) {
  auto r = run_command({"tar", "-xzOf", layer.string(), member});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

json config_of(const fs::path& out, const json& platform) {
  return json::parse(slurp(out / "oci/blobs/sha256" / platform["config"]["digest"].get<std::string>().substr(7)));
}

TEST(AdotBuild, LayerHoldsOnlyTheCollectorAndTheConfigIsInTheServiceLayer) {
  TempDir dir;
  fs::copy_file(fixtures::signing_key_asc(), dir / "standin-signing-key.asc");
  spit(dir / "xraybake.yaml", descriptor());
  auto r = build(dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("2027-02-25")));  // no end-of-support warning
  fs::path out = dir / "out";

  for (const std::string arch : {"amd64", "arm64"}) {
    fs::path layer = out / ("layers/adot-collector-" + arch + ".tar.gz");
    ASSERT_TRUE(fs::exists(layer)) << layer;
    // The binary and nothing else of the package: no ctl script, systemd, upstart, etc/ or symlinks.
    std::vector<std::string> files;
    for (const auto& l : tar_list(layer))
      if (l.back() != '/') files.push_back(l);
    EXPECT_EQ(files, std::vector<std::string>{"opt/aws/aws-otel-collector/bin/aws-otel-collector"}) << arch;
    // The same bytes as in the .deb.
    TempDir x;
    auto d = run_command({"dpkg-deb", "-x", fixtures::adot_deb(arch), x.path().string()});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_EQ(tar_file(layer, "opt/aws/aws-otel-collector/bin/aws-otel-collector"),
              slurp(x / "opt/aws/aws-otel-collector/bin/aws-otel-collector"));
  }
  EXPECT_FALSE(fs::exists(out / "layers/xray-daemon-amd64.tar.gz"));
  EXPECT_FALSE(fs::exists(out / "cfg.yaml"));

  // The generated collector config: in the service layer and, the same, in OUT/agent/.
  fs::path service = out / "layers/service.tar.gz";
  std::string config = tar_file(service, "etc/xraybake/agent/config.yaml");
  EXPECT_EQ(config, slurp(out / "agent/config.yaml"));
  EXPECT_THAT(config, HasSubstr("awsxray:"));
  EXPECT_THAT(config, HasSubstr("limit_mib: 96"));
  EXPECT_THAT(config, HasSubstr("request_timeout_seconds: 3"));
  EXPECT_THAT(config, HasSubstr("region: eu-west-1"));
  for (const auto& l : tar_list(service)) EXPECT_THAT(l, ::testing::Not(HasSubstr("amazon/xray"))) << l;

  std::string init = tar_file(service, "etc/xraybake/init.conf");
  std::vector<std::string> kv;
  for (const auto& l : lines(init))
    if (!l.empty() && l[0] != '#') kv.push_back(l);
  std::vector<std::string> want{"daemon = /opt/aws/aws-otel-collector/bin/aws-otel-collector",
                                "daemon-arg = --config",
                                "daemon-arg = /etc/xraybake/agent/config.yaml",
                                "daemon-env = RUN_IN_CONTAINER=True",
                                "daemon-env = GOMEMLIMIT=76MiB",
                                "ready = udp:127.0.0.1:2000",
                                "ready = tcp:127.0.0.1:2000",
                                "ready = tcp:127.0.0.1:4317",
                                "ready = tcp:127.0.0.1:4318",
                                "ready = http://127.0.0.1:13133/",
                                "ready-timeout = 5s",
                                "flush-grace = 4s",
                                "stop-timeout = 30s",
                                "max-backoff = 30s"};
  EXPECT_EQ(kv, want);

  // The image: the app's environment, the labels, the layers in order.
  auto report = json::parse(slurp(out / "build.json"));
  ASSERT_EQ(report["platforms"].size(), 2u);
  for (const auto& p : report["platforms"]) {
    auto c = config_of(out, p);
    auto env = c["config"]["Env"].get<std::vector<std::string>>();
    EXPECT_THAT(env, ::testing::Contains("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"));
    EXPECT_THAT(env, ::testing::Contains("OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"));
    EXPECT_THAT(env, ::testing::Contains("OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"));
    EXPECT_THAT(env, ::testing::Contains("ASPNETCORE_URLS=http://+:5000"));
    EXPECT_EQ(c["config"]["Labels"]["io.xraybake.adot-collector.version"], "0.49.0-1");
    EXPECT_THAT(p["added_layers"][0].get<std::string>(), HasSubstr("layers/adot-collector-"));
    EXPECT_EQ(p["daemon"]["version"], "0.49.0-1");
  }
  std::string df = slurp(out / "Dockerfile");
  EXPECT_THAT(df, HasSubstr("ADD layers/adot-collector-${TARGETARCH}.tar.gz /"));
  EXPECT_THAT(df, HasSubstr("ENV OTEL_EXPORTER_OTLP_ENDPOINT=\"http://127.0.0.1:4318\""));
  auto ecs = json::parse(slurp(out / "ecs-task-definition.json"));
  EXPECT_EQ(ecs["environment"][1]["name"], "OTEL_EXPORTER_OTLP_ENDPOINT");
  // What the collector adds: its memory_limiter's limit, 64 MiB + buffer_mb 32 (GOMEMLIMIT is 4/5 of it).
  EXPECT_EQ(ecs["memoryReservation"], 96);

  // Pinned like the daemon: xraybake.lock, then --locked from the cache alone.
  EXPECT_THAT(slurp(dir / "xraybake.lock"), HasSubstr("\"https://aws-otel-collector.s3.amazonaws.com/ubuntu/amd64/v0.49.0/aws-otel-collector.deb\""));  // the canonical URL, not the mirror
  r = build(dir, kMirror, {"--locked", "--offline"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(AdotBuild, AnotherPackageAtTheUrlIsRefused) {
  TempDir dir;
  spit(dir / "xraybake.yaml", "apiVersion: xraybake/v1\nservice:\n  name: a\n  base: oci:" + fixtures::base_oci() +
                                  ":latest\n  command: [/x]\nagent: {kind: adot-collector, version: 0.49.0}\n");
  auto r = build(dir, "file://" + fixtures::deb_dir() + "/aws-xray-daemon-linux-{arch}-3.6.6.deb");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the package is 'xray' (control: Package), not 'aws-otel-collector'"));
  EXPECT_THAT(r.err, HasSubstr("hint: check agent.url (or XRAYBAKE_ADOT_URL) and agent.sha256"));
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(AdotBuild, ConfigMistakesAreReportedByValidateWithPositions) {
  TempDir dir;
  fs::copy_file(fixtures::signing_key_asc(), dir / "standin-signing-key.asc");
  spit(dir / "xraybake.yaml", descriptor("  config:\n    exporters:\n      awsxray: {regoin: x}\n"));
  auto r = xraybake({"validate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "xraybake.yaml:19:17: unknown key \"regoin\" in agent.config.exporters.awsxray (did you mean "
                   "\"region\"?)\n");
}

}  // namespace
}  // namespace xb::test
