// The fixtures the end-to-end tests stand on: the stand-in daemon and app talk
// the real datagram format over loopback, the .debs are laid out and signed
// like AWS's, the base image is a valid OCI layout. If these lie, the e2e
// results mean nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "e2e_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

int free_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

bool udp_port_bound(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool busy = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0;
  close(fd);
  return busy;
}

struct StandinPair : ::testing::Test {
  TempDir tmp{"xb-standin"};
  int port = free_udp_port();
  fs::path sink = tmp.path / "sink.jsonl";
  fs::path count = tmp.path / "app.json";
  fs::path cfg = tmp.path / "cfg.yaml";
  std::string addr = "127.0.0.1:" + std::to_string(port);

  void SetUp() override {
    write_file(cfg, "Version: 2\nTotalBufferSizeMB: 16\nSocket:\n  UDPAddress: \"" + addr +
                        "\"\n  TCPAddress: \"" + addr + "\"\nLogging:\n  LogLevel: \"info\"\nLocalMode: true\n");
  }
  pid_t start_daemon(std::vector<std::string> env = {}) {
    env.push_back("XRAY_STANDIN_SINK=" + sink.string());
    return spawn({fixtures::standin_daemon(), "-c", cfg.string(), "--local-mode", "-l=info"}, env,
                 tmp.path / "daemon.log");
  }
  pid_t start_app(std::vector<std::string> args) {
    args.insert(args.begin(), fixtures::standin_app());
    return spawn(args, {"AWS_XRAY_DAEMON_ADDRESS=" + addr, "STANDIN_APP_COUNT_FILE=" + count.string()},
                 tmp.path / "app.log");
  }
};

TEST_F(StandinPair, EverySegmentSentBeforeTheDaemonStopsIsFlushedToTheSink) {
  pid_t d = start_daemon();
  ASSERT_TRUE(eventually([&] { return udp_port_bound(port); }, 10s)) << read_file(tmp.path / "daemon.log");
  pid_t a = start_app({"--rate", "5000", "--term-code", "7"});
  ASSERT_TRUE(eventually([&] { return read_file(tmp.path / "app.log").find("sending") != std::string::npos; }, 10s));
  std::this_thread::sleep_for(500ms);
  kill(a, SIGTERM);
  ASSERT_EQ(wait_for(a, 10s), 7);
  kill(d, SIGTERM);
  std::this_thread::sleep_for(50ms);
  kill(d, SIGTERM);  // ignored, like the real daemon's second SIGTERM
  ASSERT_EQ(wait_for(d, 10s), 0);

  json app = json::parse(read_file(count));
  uint64_t sent = app.at("sent");
  EXPECT_GT(sent, 10u);
  EXPECT_EQ(app.at("exit"), 7);
  auto s = read_sink(sink);
  ASSERT_EQ(s.starts.size(), 1u);
  ASSERT_EQ(s.flushes.size(), 1u);
  EXPECT_EQ(s.flushes[0].at("count"), sent);
  EXPECT_EQ(s.flushes[0].at("bad"), 0);
  EXPECT_EQ(s.flushes[0].at("ranges"), json::parse("[[1," + std::to_string(sent) + "]]"));
  EXPECT_EQ(s.starts[0].at("argv")[1], "-c");
  EXPECT_EQ(s.starts[0].at("local_mode"), true);
  std::string log = read_file(tmp.path / "daemon.log");
  EXPECT_NE(log.find("[Info] Initializing AWS X-Ray daemon 3.6.6"), std::string::npos) << log;
  EXPECT_NE(log.find("Using buffer memory size 16 MB"), std::string::npos) << log;
}

TEST_F(StandinPair, CrashingAppExitsWithItsCodeAfterNSegments) {
  pid_t a = start_app({"--rate", "0", "--crash-after", "500", "--crash-code", "9"});
  ASSERT_EQ(wait_for(a, 20s), 9);
  json app = json::parse(read_file(count));
  EXPECT_EQ(app.at("sent"), 500);
  EXPECT_EQ(app.at("reason"), "crash");
}

TEST_F(StandinPair, NoBindModeNeverBindsAndStillStopsOnSigterm) {
  pid_t d = start_daemon({"XRAY_STANDIN_NO_BIND=1"});
  ASSERT_TRUE(eventually([&] { return !read_sink(sink).starts.empty(); }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(udp_port_bound(port));
  kill(d, SIGTERM);
  ASSERT_EQ(wait_for(d, 10s), 0);
  auto s = read_sink(sink);
  EXPECT_TRUE(s.bounds.empty());
  ASSERT_EQ(s.flushes.size(), 1u);
  EXPECT_EQ(s.flushes[0].at("count"), 0);
}

TEST_F(StandinPair, FlagsOverrideTheConfigInBothForms) {
  int other = free_udp_port();
  std::string a2 = "127.0.0.1:" + std::to_string(other);
  pid_t d = spawn({fixtures::standin_daemon(), "--config=" + cfg.string(), "-b", a2, "--bind-tcp=" + a2},
                  {"XRAY_STANDIN_SINK=" + sink.string()}, tmp.path / "daemon.log");
  ASSERT_TRUE(eventually([&] { return udp_port_bound(other); }, 10s)) << read_file(tmp.path / "daemon.log");
  EXPECT_FALSE(udp_port_bound(port));
  kill(d, SIGTERM);
  ASSERT_EQ(wait_for(d, 10s), 0);
  EXPECT_EQ(run({fixtures::standin_daemon(), "--version"}).output, "AWS X-Ray daemon version: 3.6.6\n");
  EXPECT_EQ(run({fixtures::standin_daemon(), "--endpoint", "x"}).status, 2);  // no such flag, as in the real one
  write_file(tmp.path / "bad.yaml", "Version: 2\nEndpiont: x\n");
  EXPECT_EQ(run({fixtures::standin_daemon(), "-c", (tmp.path / "bad.yaml").string()}).status, 1);
}

TEST(StandinDeb, IsLaidOutAndSignedLikeAwsDeb) {
  XB_REQUIRE_TOOL("ar", "binutils");
  XB_REQUIRE_TOOL("gpgv", "gpgv");
  XB_REQUIRE_TOOL("dpkg-deb", "dpkg");
  for (std::string arch : {"amd64", "arm64"}) {
    std::string deb = fixtures::deb(arch);
    auto members = run({"ar", "t", deb});
    EXPECT_EQ(members.output, "debian-binary\ncontrol.tar.gz\ndata.tar.gz\n_gpgorigin\n");
    auto ctl = run({"dpkg-deb", "--field", deb, "Package", "Architecture", "Version", "Depends"});
    EXPECT_EQ(ctl.output, "Package: xray\nArchitecture: " + arch + "\nVersion: 3.6.6\nDepends: libc6\n");
    auto files = run({"dpkg-deb", "--contents", deb}).output;
    for (const char* p : {"./usr/bin/xray", "./etc/amazon/xray/cfg.yaml", "./etc/init/xray.conf",
                          "./lib/systemd/system/xray.service", "./usr/share/lintian/overrides/xray",
                          "./usr/share/doc/xray/changelog.gz", "./usr/share/doc/xray/changelog.Debian.gz"})
      EXPECT_NE(files.find(p), std::string::npos) << p;

    TempDir tmp("xb-deb");
    ASSERT_EQ(run({"sh", "-c", "cd " + tmp.path.string() + " && ar x " + deb +
                                   " && cat debian-binary control.tar.gz data.tar.gz > signed"})
                  .status,
              0);
    auto ok = run({"gpgv", "--keyring", fixtures::signing_key_gpg(), (tmp.path / "_gpgorigin").string(),
                   (tmp.path / "signed").string()});
    EXPECT_EQ(ok.status, 0) << ok.output;
  }
  EXPECT_EQ(read_file(fixtures::deb("amd64", "3.x")), read_file(fixtures::deb("amd64")));
}

TEST(StandinBaseImage, IsAnOciLayoutWithBusyboxAndTheApp) {
  XB_REQUIRE_TOOL("umoci", "umoci");
  json index = json::parse(read_file(fixtures::base_oci() + "/index.json"));
  ASSERT_EQ(index.at("manifests").size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
  auto stat = run({"umoci", "stat", "--json", "--image", fixtures::base_oci() + ":latest"});
  ASSERT_EQ(stat.status, 0) << stat.output;
  std::string digest = index["manifests"][0]["digest"];
  json manifest = json::parse(read_file(fixtures::base_oci() + "/blobs/sha256/" + digest.substr(7)));
  std::string cfg_digest = manifest["config"]["digest"];
  json config = json::parse(read_file(fixtures::base_oci() + "/blobs/sha256/" + cfg_digest.substr(7)));
  EXPECT_EQ(config["architecture"], "amd64");
  EXPECT_EQ(config["os"], "linux");
  EXPECT_EQ(config["config"]["Cmd"], json::parse(R"(["/bin/sh"])"));
}

}  // namespace
}  // namespace xb::e2e

namespace xb::e2e {
namespace {

json blob(const std::string& layout, const std::string& digest) {
  return json::parse(read_file(layout + "/blobs/sha256/" + digest.substr(7)));
}

TEST(StandinBaseImage, MultiPlatformLayoutHasAnIndexWithAmd64AndArm64) {
  std::string layout = fixtures::base_multi_oci();
  json top = json::parse(read_file(layout + "/index.json"));
  ASSERT_EQ(top["manifests"].size(), 1u);
  EXPECT_EQ(top["manifests"][0]["mediaType"], "application/vnd.oci.image.index.v1+json");
  json index = blob(layout, top["manifests"][0]["digest"]);
  ASSERT_EQ(index["manifests"].size(), 2u);
  std::vector<std::string> archs;
  for (const auto& m : index["manifests"]) {
    json manifest = blob(layout, m["digest"]);
    json config = blob(layout, manifest["config"]["digest"]);
    EXPECT_EQ(config["architecture"], m["platform"]["architecture"]);
    for (const auto& layer : manifest["layers"])
      EXPECT_TRUE(fs::exists(layout + "/blobs/sha256/" + layer["digest"].get<std::string>().substr(7)));
    archs.push_back(config["architecture"]);
  }
  EXPECT_EQ(archs, (std::vector<std::string>{"amd64", "arm64"}));
}

}  // namespace
}  // namespace xb::e2e
