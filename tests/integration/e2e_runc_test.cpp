// The whole pattern end to end (issue 6): `xraybake build` on a descriptor for
// the fixtures (the stand-in .deb downloaded over loopback HTTP), the image
// unpacked with umoci and run with runc, the supervisor as PID 1 and the app
// and daemon as the service user; then a clean stop, and fault runs.
#include <gtest/gtest.h>

#include "e2e_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

constexpr auto kStopTimeout = 20s;
constexpr auto kReadyTimeout = 2s;
constexpr int kTermCode = 7;  // the app's exit status after SIGTERM: tells it from a default 0
constexpr const char* kTag = "1.0.0";
constexpr const char* kApp = "/usr/local/bin/standin-app";
constexpr const char* kDaemon = "/usr/bin/xray";
constexpr const char* kInit = "/usr/local/bin/xraybake-init";

std::string descriptor_yaml() {
  return std::string(R"(apiVersion: xraybake/v1
service:
  name: e2e-standin
  base: oci:)") + fixtures::base_oci() + R"(:latest
  platforms: [linux/amd64]
  command: [/usr/local/bin/standin-app]
  user: "10001:10001"
  env:
    STANDIN_APP_RATE: "500"
    STANDIN_APP_TERM_CODE: ")" + std::to_string(kTermCode) + R"("
  stop_timeout: 20s
  tag: e2e-standin:1.0.0
)" + standin_xray_section();
}

// xraybake build DESCRIPTOR -o OUT, the daemon .deb served from the fixtures
// over loopback HTTP.
RunResult xraybake_build(const fs::path& descriptor, const fs::path& out, const fs::path& cache,
                         const FileServer& server) {
  std::vector<std::string> argv{XB_XRAYBAKE_BIN, "build", descriptor.string(), "-o", out.string(),
                                "--cache-dir", cache.string()};
  return run(argv, {"XRAYBAKE_DAEMON_URL=" + server.url("/aws-xray-daemon-linux-{arch}-{version}.deb"),
                    "SOURCE_DATE_EPOCH=1700000000"});
}

// RcvbufErrors from the UDP line of /proc/PID/net/snmp (PID's network namespace).
std::string udp_receive_errors(pid_t pid) {
  std::istringstream snmp(read_file("/proc/" + std::to_string(pid) + "/net/snmp"));
  std::vector<std::string> names, values;
  for (std::string line; std::getline(snmp, line);) {
    if (line.rfind("Udp: ", 0) != 0) continue;
    std::istringstream words(line.substr(5));
    std::vector<std::string>& into = names.empty() ? names : values;
    for (std::string w; words >> w;) into.push_back(w);
  }
  for (size_t i = 0; i < names.size() && i < values.size(); i++)
    if (names[i] == "RcvbufErrors") return values[i];
  return "?";
}

class E2eRunc : public ::testing::Test {
 protected:
  static inline std::unique_ptr<TempDir> work;
  static inline std::unique_ptr<FileServer> server;
  static inline std::string setup_error;
  static inline RunResult build;

  static void SetUpTestSuite() {
    if (geteuid() != 0 || !have_tool("runc") || !have_tool("umoci")) return;  // SetUp says why
    work = std::make_unique<TempDir>("xb-e2e-runc");
    server = std::make_unique<FileServer>(fixtures::deb_dir());
    write_file(work->path / "xraybake.yaml", descriptor_yaml());
    // Debugging hook: XB_E2E_PREBUILT=LAYOUT runs an image made elsewhere (tag
    // 1.0.0) instead of building one; the build tests then fail, as they should.
    if (const char* pre = std::getenv("XB_E2E_PREBUILT")) {
      fs::create_directories(work->path / "out");
      fs::copy(pre, work->path / "out" / "oci", fs::copy_options::recursive);
      return;
    }
    build = xraybake_build(work->path / "xraybake.yaml", work->path / "out", work->path / "cache", *server);
    if (build.status != 0) setup_error = "xraybake build failed:\n" + build.output;
  }
  static void TearDownTestSuite() {
    server.reset();
    work.reset();
  }
  void SetUp() override {
    XB_REQUIRE_ROOT("runc");
    XB_REQUIRE_TOOL("runc", "runc");
    XB_REQUIRE_TOOL("umoci", "umoci");
    ASSERT_TRUE(setup_error.empty()) << setup_error;
  }

  fs::path layout() const { return work->path / "out" / "oci"; }

  std::unique_ptr<Container> container(const std::string& id, const std::vector<std::string>& env = {}) {
    auto c = std::make_unique<Container>(layout(), kTag, work->path, id);
    for (const auto& kv : env) c->add_env(kv);
    return c;
  }

  static bool app_started(Container& c) {
    return c.log_text().find("standin-app: pid") != std::string::npos;
  }
  static json app_result(Container& c) {
    auto text = read_file(c.rootfs() / "tmp/standin-app.json");
    return text.empty() ? json() : json::parse(text);
  }
  static SinkRecord sink(Container& c) { return read_sink(c.rootfs() / "tmp/xray-standin-sink.jsonl"); }

  // Starts C, waits for the app, lets it send for SEND, then stops it as ECS
  // does: the container's status (nullopt: it did not stop) and how long it took.
  struct Stopped {
    std::optional<int> status;
    Clock::duration took{};
  };
  static Stopped run_then_stop(Container& c, std::chrono::milliseconds send) {
    c.start();
    if (!eventually([&] { return app_started(c); }, 30s)) return {};
    std::this_thread::sleep_for(send);
    auto t0 = Clock::now();
    c.kill("TERM");
    auto st = c.wait(kStopTimeout + 30s);
    return {st, Clock::now() - t0};
  }
};

TEST_F(E2eRunc, BuildFetchedTheDebOverLoopbackAndWroteTheLayout) {
  EXPECT_GE(server->requests("/aws-xray-daemon-linux-amd64-3.6.6.deb"), 1);
  EXPECT_TRUE(fs::exists(layout() / "index.json"));
  json index = json::parse(read_file(layout() / "index.json"));
  ASSERT_FALSE(index["manifests"].empty());
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], kTag);
  // build.json names the loopback URL and the sha256 of exactly the fixture .deb.
  json report = json::parse(read_file(work->path / "out" / "build.json"));
  json daemon = report["platforms"][0]["daemon"];
  EXPECT_EQ(daemon["url"], server->url("/aws-xray-daemon-linux-amd64-3.6.6.deb"));
  auto sum = run({"sha256sum", fixtures::deb("amd64")});
  EXPECT_EQ(daemon["sha256"], sum.output.substr(0, 64));
  EXPECT_EQ(report["oci"]["index"]["digest"], index["manifests"][0]["digest"]);
}

TEST_F(E2eRunc, CleanStopLosesNoSegment) {
  auto c = container("clean", {"XRAY_STANDIN_FLUSH_DELAY_MS=500"});
  c->start();
  ASSERT_TRUE(eventually([&] { return app_started(*c); }, 30s)) << c->log_text();

  // The supervisor is PID 1 of its own PID namespace; app and daemon run under it.
  auto init = c->init_pid();
  ASSERT_TRUE(init);
  std::string status = read_file("/proc/" + std::to_string(*init) + "/status");
  EXPECT_NE(status.find("\nNSpid:\t" + std::to_string(*init) + "\t1\n"), std::string::npos) << status;
  auto procs = c->processes();
  EXPECT_EQ(procs[*init], kInit);
  EXPECT_TRUE(c->find_process(kApp)) << c->log_text();
  EXPECT_TRUE(c->find_process(kDaemon)) << c->log_text();

  // The daemon receives while the app runs (SIGUSR1: the stand-in reports).
  std::this_thread::sleep_for(1s);
  auto daemon = c->find_process(kDaemon);
  ASSERT_TRUE(daemon);
  ASSERT_EQ(kill(*daemon, SIGUSR1), 0);
  ASSERT_TRUE(eventually([&] { return !sink(*c).progress.empty(); }, 10s)) << c->log_text();
  EXPECT_GT(sink(*c).progress[0]["count"].get<int64_t>(), 0) << "the daemon receives nothing";
  std::this_thread::sleep_for(1s);  // the app sends at 500/s
  // UDP the daemon could not take in time (receive buffer full) is not what
  // this test is about; count it, to tell it from a loss at stop.
  std::string drops = udp_receive_errors(*init);
  auto t0 = Clock::now();
  c->kill("TERM");
  auto st = c->wait(kStopTimeout + 30s);
  auto took = Clock::now() - t0;
  ASSERT_TRUE(st) << "the container did not stop\n" << c->log_text();

  json app = app_result(*c);
  ASSERT_FALSE(app.is_null()) << c->log_text();
  EXPECT_EQ(*st, kTermCode) << c->log_text();
  EXPECT_EQ(app["exit"], kTermCode);
  EXPECT_EQ(app["reason"], "signal");
  EXPECT_EQ(app["uid"], 10001);
  EXPECT_EQ(app["gid"], 10001);
  uint64_t sent = app["sent"];
  EXPECT_GT(sent, 100u);

  auto s = sink(*c);
  ASSERT_EQ(s.starts.size(), 1u) << c->log_text();
  EXPECT_EQ(s.starts[0]["uid"], 10001);
  ASSERT_EQ(s.flushes.size(), 1u) << "the daemon did not flush\n" << c->log_text();
  EXPECT_GE(s.flushes[0]["time_ms"].get<int64_t>(), app["end_ms"].get<int64_t>()) << "the app must stop first";
  EXPECT_EQ(s.flushes[0]["bad"], 0);
  EXPECT_EQ(s.flushes[0]["ranges"], json::parse("[[1," + std::to_string(sent) + "]]"))
      << "segments lost; UDP receive errors in the container before the stop: " << drops;
  EXPECT_LT(took, kStopTimeout);

  std::string log = c->log_text();
  EXPECT_NE(log.find("Initializing AWS X-Ray daemon 3.6.6"), std::string::npos) << log;
  EXPECT_NE(log.find("Successfully sent batch of " + std::to_string(sent) + " segments"), std::string::npos) << log;
}

TEST_F(E2eRunc, DaemonKilledTenTimesComesBackAndTheAppKeepsSending) {
  auto c = container("sigkill");
  c->start();
  ASSERT_TRUE(eventually([&] { return app_started(*c); }, 30s)) << c->log_text();
  auto app_pid = c->find_process(kApp);
  ASSERT_TRUE(app_pid);

  for (int i = 0; i < 10; i++) {
    auto daemon = c->find_process(kDaemon);
    ASSERT_TRUE(daemon) << "kill " << i << ": no daemon\n" << c->log_text();
    size_t bound_before = sink(*c).bounds.size();
    ASSERT_EQ(kill(*daemon, SIGKILL), 0);
    // It comes back (backoff capped at 1s) and binds again.
    ASSERT_TRUE(eventually(
        [&] {
          auto d = c->find_process(kDaemon);
          return d && *d != *daemon && sink(*c).bounds.size() > bound_before;
        },
        30s))
        << "the daemon did not come back after kill " << i << "\n"
        << c->log_text();
    ASSERT_TRUE(c->running()) << "a daemon failure took the container down\n" << c->log_text();
    EXPECT_EQ(c->find_process(kApp), app_pid) << "the app must keep running";
  }
  std::this_thread::sleep_for(1s);
  c->kill("TERM");
  auto st = c->wait(kStopTimeout + 30s);
  ASSERT_TRUE(st) << c->log_text();
  json app = app_result(*c);
  ASSERT_FALSE(app.is_null()) << c->log_text();
  EXPECT_EQ(*st, kTermCode);
  EXPECT_EQ(app["reason"], "signal");
  uint64_t sent = app["sent"];

  auto s = sink(*c);
  EXPECT_EQ(s.starts.size(), 11u) << c->log_text();
  ASSERT_FALSE(s.flushes.empty());
  // Only the last daemon got SIGTERM: it flushed, and has the last segments sent.
  ASSERT_EQ(s.flushes.size(), 1u);
  const json& ranges = s.flushes.back()["ranges"];
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.back()[1], sent) << "segments sent after the last restart were lost";
}

TEST_F(E2eRunc, AppCrashExitsWithItsCodeAfterTheDaemonFlushed) {
  auto c = container("crash", {"STANDIN_APP_CRASH_AFTER=1000", "STANDIN_APP_CRASH_CODE=3"});
  c->start();
  auto st = c->wait(kStopTimeout + 30s);
  ASSERT_TRUE(st) << c->log_text();
  EXPECT_EQ(*st, 3) << c->log_text();
  json app = app_result(*c);
  ASSERT_FALSE(app.is_null()) << c->log_text();
  EXPECT_EQ(app["sent"], 1000);
  EXPECT_EQ(app["reason"], "crash");
  auto s = sink(*c);
  ASSERT_EQ(s.flushes.size(), 1u) << "the daemon did not flush\n" << c->log_text();
  EXPECT_GE(s.flushes[0]["time_ms"].get<int64_t>(), app["end_ms"].get<int64_t>());
  EXPECT_TRUE(ranges_cover(s.flushes[0], 1, 1000)) << s.flushes[0].dump();
}

TEST_F(E2eRunc, DaemonThatNeverBindsDelaysTheAppByReadyTimeoutWithAWarning) {
  auto c = container("nobind", {"XRAY_STANDIN_NO_BIND=1"});
  // The wall clock (the stand-ins log CLOCK_REALTIME) before the supervisor exists.
  const int64_t before_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
  c->start();
  ASSERT_TRUE(eventually([&] { return app_started(*c); }, 30s)) << c->log_text();
  std::this_thread::sleep_for(300ms);
  c->kill("TERM");
  auto st = c->wait(kStopTimeout + 30s);
  ASSERT_TRUE(st) << c->log_text();
  EXPECT_EQ(*st, kTermCode) << c->log_text();
  json app = app_result(*c);
  auto s = sink(*c);
  ASSERT_EQ(s.starts.size(), 1u) << c->log_text();
  EXPECT_TRUE(s.bounds.empty());
  EXPECT_LT(s.starts[0]["time_ms"].get<int64_t>(), app["start_ms"].get<int64_t>()) << "the daemon starts first";
  // The supervisor's ready-timeout runs from its own start, after before_ms. (The
  // daemon's "start" line is no reference: it comes after the daemon's exec,
  // later by however long a loaded machine makes that.)
  int64_t waited = app["start_ms"].get<int64_t>() - before_ms;
  EXPECT_GE(waited, std::chrono::milliseconds(kReadyTimeout).count()) << "the app did not wait";
  // The supervisor warns (its own line, not the daemon's).
  std::string log = c->log_text();
  bool warned = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    std::string lower = line;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower.find("warn") != std::string::npos && lower.find("[info]") == std::string::npos &&
        (lower.find("ready") != std::string::npos || lower.find("bound") != std::string::npos))
      warned = true;
  }
  EXPECT_TRUE(warned) << log;
}

TEST_F(E2eRunc, AppThatIgnoresSigtermIsKilledAndTheDaemonStillFlushesWithinStopTimeout) {
  auto c = container("stubborn", {"STANDIN_APP_IGNORE_TERM=1"});
  auto [st, took] = run_then_stop(*c, 1s);
  ASSERT_TRUE(st) << c->log_text();
  EXPECT_EQ(*st, 128 + SIGKILL) << "the app's status: killed\n" << c->log_text();
  EXPECT_LT(took, kStopTimeout) << c->log_text();
  // The app was killed early enough to leave the daemon its flush_grace (3s).
  auto s = sink(*c);
  ASSERT_EQ(s.flushes.size(), 1u) << "the daemon did not flush\n" << c->log_text();
  EXPECT_GT(s.flushes[0]["count"].get<int64_t>(), 0);
}

TEST_F(E2eRunc, DaemonSlowerThanFlushGraceIsKilledAndTheContainerStillExitsWithTheAppStatus) {
  auto c = container("slowflush", {"XRAY_STANDIN_FLUSH_DELAY_MS=60000"});
  auto [st, took] = run_then_stop(*c, 500ms);
  ASSERT_TRUE(st) << c->log_text();
  EXPECT_EQ(*st, kTermCode) << c->log_text();
  EXPECT_LT(took, kStopTimeout) << c->log_text();
  EXPECT_GE(took, 2500ms) << "the daemon got less than its flush_grace (3s)\n" << c->log_text();
  EXPECT_TRUE(sink(*c).flushes.empty()) << "the daemon was to be killed before it flushed";
}

TEST_F(E2eRunc, SameDescriptorBuiltTwiceGivesTheSameIndexDigest) {
  auto again = xraybake_build(work->path / "xraybake.yaml", work->path / "out2", work->path / "cache2", *server);
  ASSERT_EQ(again.status, 0) << again.output;
  std::string a = read_file(layout() / "index.json"), b = read_file(work->path / "out2/oci/index.json");
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b) << "index.json differs";
  // The image index's digest (what index.json and build.json name) is the same.
  EXPECT_EQ(json::parse(a)["manifests"][0]["digest"], json::parse(b)["manifests"][0]["digest"]);
  EXPECT_EQ(json::parse(read_file(work->path / "out/build.json"))["oci"]["index"],
            json::parse(read_file(work->path / "out2/build.json"))["oci"]["index"]);
}

}  // namespace
}  // namespace xb::e2e
