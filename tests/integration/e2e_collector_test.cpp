// Real trace clients from npm (tests/fixtures/clients) in an image built by
// xraybake on the node base (tests/fixtures/make-base-node.sh), run under runc
// as the service user in its own PID namespace, stopped as ECS stops a task
// (SIGTERM to the container, SIGKILL after stop_timeout): every segment the
// app handed to its SDK reaches the agent, the container's exit status is the
// app's, and the stop fits in stop_timeout.
#include <gtest/gtest.h>

#include "collector_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

constexpr auto kStopTimeout = 10s;
constexpr int kTermCode = 7;  // the clients' exit status after SIGTERM (CLIENT_TERM_CODE)

// The service: node + one client app as the service user.
std::string service_yaml(const std::string& name, const std::string& app) {
  return R"(apiVersion: xraybake/v1
service:
  name: )" + name + R"(
  base: oci:)" + fixtures::base_node_oci() + R"(:latest
  platforms: [linux/amd64]
  command: [/usr/bin/node, /app/)" + app + R"(]
  user: "10001:10001"
  env:
    CLIENT_RATE: "200"
    CLIENT_TERM_CODE: ")" + std::to_string(kTermCode) + R"("
  stop_timeout: 10s
  tag: )" + name + R"(:1.0.0
)";
}

std::string xray_daemon_yaml() {
  return R"(xray:
  version: 3.6.6
  config:
    TotalBufferSizeMB: 16
    LocalMode: true
    Region: us-east-2
  flush_grace: 3s
  ready_timeout: 2s
  restart: {max_backoff: 1s}
  signing_key: )" + fixtures::signing_key_asc() + "\n";
}

// What one run of a container gave.
struct Stopped {
  std::optional<int> status;   // the container's (runc run's) exit status
  Clock::duration took{};      // from SIGTERM to its exit
  bool needed_sigkill = false;  // stop_timeout passed first
  json result;                 // the client's result file
};

// Waits for the client's first line, lets it send for SEND, then stops the
// container as ECS does.
Stopped run_then_stop(Container& c, const std::string& client, std::chrono::milliseconds send) {
  Stopped s;
  c.start();
  if (!eventually([&] { return c.log_text().find(client + ": pid") != std::string::npos; }, 60s)) return s;
  std::this_thread::sleep_for(send);
  auto t0 = Clock::now();
  c.kill("TERM");
  s.status = c.wait(kStopTimeout);
  if (!s.status) {
    s.needed_sigkill = true;
    c.kill("KILL");
    s.status = c.wait(20s);
  }
  s.took = Clock::now() - t0;
  s.result = read_result(c.rootfs() / "tmp" / (client + ".json"));
  return s;
}

class E2eNodeClients : public ::testing::Test {
 protected:
  static inline std::unique_ptr<TempDir> work;
  static inline std::unique_ptr<FileServer> server;

  static bool can_run() {
    return geteuid() == 0 && have_tool("runc") && have_tool("umoci") &&
           fs::exists(fixtures::base_node_oci() + "/index.json");
  }
  static void SetUpTestSuite() {
    if (!can_run()) return;  // SetUp says why
    work = std::make_unique<TempDir>("xb-e2e-node");
    server = std::make_unique<FileServer>(fixtures::deb_dir());
  }
  static void TearDownTestSuite() {
    server.reset();
    work.reset();
  }
  void SetUp() override {
    XB_REQUIRE_ROOT("runc");
    XB_REQUIRE_TOOL("runc", "runc");
    XB_REQUIRE_TOOL("umoci", "umoci");
    XB_REQUIRE(fs::exists(fixtures::base_node_oci() + "/index.json"),
               "no node base image fixture (cmake --build makes it with node, npm ci and umoci)");
  }

  // xraybake build of YAML into work/NAME/out; the layout, or empty with the failure in *why.
  static fs::path build(const std::string& name, const std::string& yaml, std::string* why) {
    fs::path dir = work->path / name;
    write_file(dir / "xraybake.yaml", yaml);
    auto r = run({XB_XRAYBAKE_BIN, "build", (dir / "xraybake.yaml").string(), "-o", (dir / "out").string(),
                  "--cache-dir", (work->path / "cache").string()},
                 {"XRAYBAKE_DAEMON_URL=" + server->url("/aws-xray-daemon-linux-{arch}-{version}.deb"),
                  "SOURCE_DATE_EPOCH=1700000000"});
    if (r.status != 0) {
      *why = "xraybake build failed:\n" + r.output;
      return {};
    }
    return dir / "out" / "oci";
  }
};

// The aws-xray-sdk-core app on the X-Ray daemon (the stand-in): the node base
// and the real SDK in the image as the service user, nothing lost.
TEST_F(E2eNodeClients, XraySdkAppOnTheDaemonLosesNoSegment) {
  std::string why;
  fs::path layout = build("xray-daemon", service_yaml("e2e-node-xray", "xray-app.js") + xray_daemon_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "node-xray");
  auto s = run_then_stop(c, "xray-app", 2s);
  ASSERT_TRUE(s.status) << c.log_text();
  EXPECT_FALSE(s.needed_sigkill) << c.log_text();
  EXPECT_EQ(*s.status, kTermCode) << c.log_text();
  EXPECT_LT(s.took, kStopTimeout);
  ASSERT_TRUE(s.result.is_object()) << c.log_text();
  EXPECT_EQ(s.result["uid"], 10001);
  EXPECT_EQ(s.result["errors"], 0) << c.log_text();
  EXPECT_GE(s.result["end_ms"].get<int64_t>() - s.result["term_ms"].get<int64_t>(), 500) << "it drains 500 ms";
  uint64_t sent = s.result["sent"];
  EXPECT_GT(sent, 200u) << "about 2.5 s at 200/s";

  // The stand-in daemon records the segments' ids read as hex numbers.
  auto sink = read_sink(c.rootfs() / "tmp/xray-standin-sink.jsonl");
  ASSERT_EQ(sink.flushes.size(), 1u) << c.log_text();
  EXPECT_EQ(sink.flushes[0]["bad"], 0);
  EXPECT_EQ(sink.flushes[0]["count"], sent);
  size_t lost = 0;
  for (const auto& id : s.result["ids"]) {
    uint64_t v = std::stoull(id.get<std::string>(), nullptr, 16);
    lost += !ranges_cover(sink.flushes[0], v, v);
  }
  EXPECT_EQ(lost, 0u) << lost << " of " << sent << " segments lost\n" << c.log_text();
}

}  // namespace
}  // namespace xb::e2e
