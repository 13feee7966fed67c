// Real trace clients from npm (tests/fixtures/clients) in an image built by
// xraybake on the node base (tests/fixtures/make-base-node.sh), run under runc
// as the service user in its own PID namespace, stopped as ECS stops a task
// (SIGTERM to the container, SIGKILL after stop_timeout): every segment the
// app handed to its SDK reaches the agent, the container's exit status is the
// app's, and the stop fits in stop_timeout.
#include <signal.h>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "collector_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

constexpr auto kStopTimeout = 10s;
constexpr int kTermCode = 7;  // the clients' exit status after SIGTERM (CLIENT_TERM_CODE)

// The service: node + one client app (in APP_DIR of the image) as the service user.
std::string service_yaml(const std::string& name, const std::string& app, const std::string& app_dir = "/app") {
  return R"(apiVersion: xraybake/v1
service:
  name: )" + name + R"(
  base: oci:)" + fixtures::base_node_oci() + R"(:latest
  platforms: [linux/amd64]
  command: [/usr/bin/node, )" + app_dir + "/" + app + R"(]
  user: "10001:10001"
  env:
    CLIENT_RATE: "200"
    CLIENT_TERM_CODE: ")" + std::to_string(kTermCode) + R"("
  stop_timeout: 10s
  tag: )" + name + R"(:1.0.0
)";
}

// The ADOT collector (the stand-in, packaged as AWS's .deb), with its defaults:
// the awsxray receiver on 127.0.0.1:2000, otlp on 4317/4318, health check 13133.
std::string adot_collector_yaml() {
  return R"(agent:
  kind: adot-collector
  version: 0.49.0
  region: us-east-2
  local_mode: true
  buffer_mb: 16
  flush_grace: 5s
  ready_timeout: 5s
  restart: {max_backoff: 1s}
  signing_key: )" + fixtures::signing_key_asc() + "\n";
}

constexpr const char* kCollector = "/opt/aws/aws-otel-collector/bin/aws-otel-collector";

// The CloudWatch agent (the stand-in's three programs, packaged as AWS's .deb
// with a detached .sig), with its defaults: xray on 127.0.0.1:2000 with the
// TCP proxy, otlp on 4317/4318. Its flush_grace is below the 30.2 s validate
// asks for (the real exporter's request timeout): a warning, not an error.
std::string cloudwatch_agent_yaml() {
  std::string agent = adot_collector_yaml();
  agent.replace(agent.find("kind: adot-collector"), 20, "kind: cloudwatch-agent");
  agent.replace(agent.find("version: 0.49.0"), 15, "version: 1.300071.0");
  return agent;
}

// The agent as start-amazon-cloudwatch-agent execs it (argv[0]).
constexpr const char* kCwAgent = "amazon-cloudwatch-agent";

// Every start of the CloudWatch agent: the start program's pid (cw_start),
// and the agent's after the exec ("start"): the same, in order.
void expect_pid_kept_by_exec(const fs::path& sink_file, size_t starts) {
  std::vector<int64_t> cw, agent;
  for (auto& e : read_jsonl(sink_file)) {
    if (e.value("event", "") == "cw_start") cw.push_back(e.at("pid").get<int64_t>());
    if (e.value("event", "") == "start") agent.push_back(e.at("pid").get<int64_t>());
  }
  EXPECT_EQ(cw.size(), starts);
  EXPECT_EQ(cw, agent) << "start-amazon-cloudwatch-agent must exec the agent in its own pid";
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
                  "XRAYBAKE_ADOT_URL=" + server->url("/aws-otel-collector-{arch}-{version}.deb"),
                  "XRAYBAKE_OTELCOL_URL=" + server->url("/otelcol/v{version}/otelcol-contrib_{version}_linux_{arch}.deb"),
                  "XRAYBAKE_CWAGENT_URL=" + server->url("/cwagent/ubuntu/{arch}/{version}/amazon-cloudwatch-agent.deb"),
                  "SOURCE_DATE_EPOCH=1700000000"});
    if (r.status != 0) {
      *why = "xraybake build failed:\n" + r.output;
      return {};
    }
    return dir / "out" / "oci";
  }
};

// The stop of xray-app.js on the stand-in daemon: the app's status, inside
// stop_timeout, every segment the app sent flushed by the daemon.
void expect_daemon_stop(const Stopped& s, Container& c) {
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

// The aws-xray-sdk-core app on the X-Ray daemon (the stand-in): the node base
// and the real SDK in the image as the service user, nothing lost.
TEST_F(E2eNodeClients, XraySdkAppOnTheDaemonLosesNoSegment) {
  std::string why;
  fs::path layout = build("xray-daemon", service_yaml("e2e-node-xray", "xray-app.js") + standin_xray_section(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "node-xray");
  expect_daemon_stop(run_then_stop(c, "xray-app", 2s), c);
}

// The app shipped by service.files (issue 14.3), not by the base: the npm
// clients with their node_modules (aws-xray-sdk-core) copied beside the
// descriptor, put at /srv/shipped by layers/app.tar.gz, run from there.
TEST_F(E2eNodeClients, AppShippedThroughServiceFilesLosesNoSegment) {
  fs::path app = work->path / "shipped" / "app";
  fs::create_directories(app.parent_path());
  fs::copy(fixtures::clients_dir(), app, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::string why;
  fs::path layout = build("shipped",
                          service_yaml("e2e-node-shipped", "xray-app.js", "/srv/shipped") +
                              "  files: [{from: app/, to: /srv/shipped}]\n"
                              "  exclude: [app/otel-app.js, \"**/*.md\"]\n" + standin_xray_section(),
                          &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "node-shipped");
  auto s = run_then_stop(c, "xray-app", 2s);
  EXPECT_TRUE(fs::exists(c.rootfs() / "srv/shipped/node_modules/aws-xray-sdk-core/package.json"));
  EXPECT_FALSE(fs::exists(c.rootfs() / "srv/shipped/otel-app.js")) << "excluded";
  struct stat st {};
  ASSERT_EQ(::stat((c.rootfs() / "srv/shipped/xray-app.js").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  expect_daemon_stop(s, c);
}

// What every stop on the collector must show: the app's own status, inside
// stop_timeout, the app started only once every receiver and the health check
// were up, the collector stopped only after the app, and nothing lost.
void expect_collector_stop(const Stopped& s, const CollectorSink& sink, const std::set<std::string>& got,
                           const std::string& log, bool run_in_container = true) {
  ASSERT_TRUE(s.status) << log;
  EXPECT_FALSE(s.needed_sigkill) << log;
  EXPECT_EQ(*s.status, kTermCode) << log;
  EXPECT_LT(s.took, kStopTimeout);
  ASSERT_TRUE(s.result.is_object()) << log;
  EXPECT_EQ(s.result["uid"], 10001);
  EXPECT_EQ(s.result["errors"], 0) << log;
  EXPECT_GE(s.result["end_ms"].get<int64_t>() - s.result["term_ms"].get<int64_t>(), 500) << "it drains 500 ms";
  ASSERT_EQ(sink.starts.size(), 1u) << log;
  EXPECT_EQ(sink.starts[0]["run_in_container"], run_in_container);
  EXPECT_EQ(sink.starts[0]["uid"], 10001) << "the collector runs as the service user";
  EXPECT_EQ(sink.starts[0]["exporter"]["region"], "us-east-2");
  EXPECT_EQ(sink.starts[0]["exporter"]["local_mode"], true);
  ASSERT_EQ(sink.bounds.size(), 1u) << log;
  EXPECT_LE(sink.bounds[0]["time_ms"].get<int64_t>(), s.result["start_ms"].get<int64_t>())
      << "the app started before the collector's receivers were bound";
  ASSERT_EQ(sink.flushes.size(), 1u) << log;
  EXPECT_GE(sink.flushes[0]["time_ms"].get<int64_t>(), s.result["end_ms"].get<int64_t>()) << "the app stops first";
  EXPECT_EQ(sink.flushes[0]["bad"], 0);
  uint64_t sent = s.result["sent"];
  EXPECT_GT(sent, 200u) << "about 2.5 s at 200/s";
  auto missing = missing_ids(s.result, got);
  EXPECT_TRUE(missing.empty()) << describe_missing(missing, sent) << "\n" << log;
}

// The aws-xray-sdk-core app on the ADOT collector: X-Ray UDP into the awsxray
// receiver, nothing lost.
TEST_F(E2eNodeClients, XraySdkAppOnTheCollectorLosesNoSegment) {
  std::string why;
  fs::path layout = build("adot-xray", service_yaml("e2e-adot-xray", "xray-app.js") + adot_collector_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "adot-xray");
  auto s = run_then_stop(c, "xray-app", 2s);
  auto sink = read_collector_sink(c.rootfs() / "tmp/adot-standin-sink.jsonl");
  expect_collector_stop(s, sink, sink.segments, c.log_text());
  EXPECT_TRUE(sink.spans.empty());
}

// The OpenTelemetry JS SDK app (OTLP/HTTP protobuf, from the environment
// xraybake sets) on the ADOT collector, nothing lost.
TEST_F(E2eNodeClients, OtelSdkAppOnTheCollectorLosesNoSpan) {
  std::string why;
  fs::path layout = build("adot-otel", service_yaml("e2e-adot-otel", "otel-app.js") + adot_collector_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "adot-otel");
  auto s = run_then_stop(c, "otel-app", 2s);
  auto sink = read_collector_sink(c.rootfs() / "tmp/adot-standin-sink.jsonl");
  expect_collector_stop(s, sink, sink.spans, c.log_text());
  EXPECT_TRUE(sink.segments.empty());
}

// The same app on otelcol-contrib (the release's .deb, pinned by its checksums
// file): the same config, probes and ordered stop, nothing lost.
// The ADOT agent: section made otelcol-contrib's.
std::string otelcol_contrib_yaml() {
  std::string agent = adot_collector_yaml();
  agent.replace(agent.find("kind: adot-collector"), 20, "kind: otelcol-contrib");
  agent.replace(agent.find("version: 0.49.0"), 15, "version: 0.131.0");
  agent.erase(agent.find("  signing_key:"));  // the release signs with cosign, not GPG
  return agent;
}
constexpr const char* kContrib = "/usr/bin/otelcol-contrib";

TEST_F(E2eNodeClients, OtelSdkAppOnOtelcolContribLosesNoSpan) {
  std::string why;
  fs::path layout = build("contrib-otel", service_yaml("e2e-contrib-otel", "otel-app.js") + otelcol_contrib_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "contrib-otel");
  auto s = run_then_stop(c, "otel-app", 2s);
  auto sink = read_collector_sink(c.rootfs() / "tmp/adot-standin-sink.jsonl");
  expect_collector_stop(s, sink, sink.spans, c.log_text(), /*run_in_container=*/false);
  ASSERT_FALSE(sink.starts.empty());
  EXPECT_EQ(sink.starts[0]["argv"][0], kContrib);
}

// The aws-xray-sdk-core app on otelcol-contrib: X-Ray UDP into its awsxray receiver, nothing lost.
TEST_F(E2eNodeClients, XraySdkAppOnOtelcolContribLosesNoSegment) {
  std::string why;
  fs::path layout = build("contrib-xray", service_yaml("e2e-contrib-xray", "xray-app.js") + otelcol_contrib_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "contrib-xray");
  auto s = run_then_stop(c, "xray-app", 2s);
  auto sink = read_collector_sink(c.rootfs() / "tmp/adot-standin-sink.jsonl");
  expect_collector_stop(s, sink, sink.segments, c.log_text(), /*run_in_container=*/false);
  EXPECT_TRUE(sink.spans.empty());
}

// The aws-xray-sdk-core app on the CloudWatch agent: X-Ray UDP into
// traces_collected.xray, nothing lost, the agent in the start program's pid.
TEST_F(E2eNodeClients, XraySdkAppOnTheCloudwatchAgentLosesNoSegment) {
  std::string why;
  fs::path layout = build("cw-xray", service_yaml("e2e-cw-xray", "xray-app.js") + cloudwatch_agent_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "cw-xray");
  auto s = run_then_stop(c, "xray-app", 2s);
  const fs::path sink_file = c.rootfs() / "tmp/adot-standin-sink.jsonl";
  auto sink = read_collector_sink(sink_file);
  expect_collector_stop(s, sink, sink.segments, c.log_text());
  EXPECT_TRUE(sink.spans.empty());
  expect_pid_kept_by_exec(sink_file, 1);
  ASSERT_FALSE(sink.starts.empty());
  EXPECT_EQ(sink.starts[0]["argv"][0], kCwAgent);
  EXPECT_EQ(sink.starts[0]["config"], "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.yaml");
}

// The OpenTelemetry JS SDK app (OTLP/HTTP protobuf) on the CloudWatch agent, nothing lost.
TEST_F(E2eNodeClients, OtelSdkAppOnTheCloudwatchAgentLosesNoSpan) {
  std::string why;
  fs::path layout = build("cw-otel", service_yaml("e2e-cw-otel", "otel-app.js") + cloudwatch_agent_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "cw-otel");
  auto s = run_then_stop(c, "otel-app", 2s);
  const fs::path sink_file = c.rootfs() / "tmp/adot-standin-sink.jsonl";
  auto sink = read_collector_sink(sink_file);
  expect_collector_stop(s, sink, sink.spans, c.log_text());
  EXPECT_TRUE(sink.segments.empty());
  expect_pid_kept_by_exec(sink_file, 1);
}

// SIGKILL to the agent (AGENT_ARGV0), ten times: the supervisor starts it again every
// time (backoff capped at 1 s), the app keeps its pid and keeps sending, and
// the last agent has what was sent after it came back.
void survive_ten_sigkills(Container& c, const std::string& agent_argv0) {
  const fs::path sink_file = c.rootfs() / "tmp/adot-standin-sink.jsonl";
  c.start();
  ASSERT_TRUE(eventually([&] { return c.log_text().find("xray-app: pid") != std::string::npos; }, 60s))
      << c.log_text();
  auto app = c.find_process("/usr/bin/node");
  ASSERT_TRUE(app) << c.log_text();

  for (int i = 0; i < 10; i++) {
    auto collector = c.find_process(agent_argv0);
    ASSERT_TRUE(collector) << "kill " << i << ": no agent\n" << c.log_text();
    size_t bound_before = read_collector_sink(sink_file).bounds.size();
    ASSERT_EQ(::kill(*collector, SIGKILL), 0);
    ASSERT_TRUE(eventually(
        [&] {
          auto now = c.find_process(agent_argv0);
          return now && *now != *collector && read_collector_sink(sink_file).bounds.size() > bound_before;
        },
        30s))
        << "the agent did not come back after kill " << i << "\n"
        << c.log_text();
    ASSERT_TRUE(c.running()) << "an agent failure took the container down\n" << c.log_text();
    EXPECT_EQ(c.find_process("/usr/bin/node"), app) << "the app must keep running, untouched";
  }
  const int64_t back_at = read_collector_sink(sink_file).bounds.back()["time_ms"];
  std::this_thread::sleep_for(1s);
  c.kill("TERM");
  auto st = c.wait(kStopTimeout + 30s);
  ASSERT_TRUE(st) << c.log_text();
  EXPECT_EQ(*st, kTermCode) << c.log_text();
  json result = read_result(c.rootfs() / "tmp/xray-app.json");
  ASSERT_TRUE(result.is_object()) << c.log_text();
  EXPECT_EQ(result["errors"], 0);

  auto sink = read_collector_sink(sink_file);
  EXPECT_EQ(sink.starts.size(), 11u) << c.log_text();
  ASSERT_EQ(sink.flushes.size(), 1u) << "only the last agent got SIGTERM";
  // What was sent well after the last restart (at 200/s, from 100 ms after it bound) reached it.
  const int64_t start_ms = result["start_ms"];
  const size_t first = static_cast<size_t>(std::max<int64_t>(0, (back_at + 100 - start_ms) * 200 / 1000));
  const auto& ids = result["ids"];
  ASSERT_GT(ids.size(), first + 100) << "it kept sending after the last restart";
  size_t lost = 0;
  for (size_t k = first; k < ids.size(); k++) lost += !sink.segments.count(ids[k].get<std::string>());
  EXPECT_EQ(lost, 0u) << lost << " of the " << ids.size() - first << " segments sent after the last restart lost\n"
                      << c.log_text();
}

TEST_F(E2eNodeClients, CollectorKilledTenTimesComesBackAndTheAppIsUntouched) {
  std::string why;
  fs::path layout = build("adot-kill", service_yaml("e2e-adot-kill", "xray-app.js") + adot_collector_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "adot-kill");
  survive_ten_sigkills(c, kCollector);
}

TEST_F(E2eNodeClients, OtelcolContribKilledTenTimesComesBackAndTheAppIsUntouched) {
  std::string why;
  fs::path layout = build("contrib-kill", service_yaml("e2e-contrib-kill", "xray-app.js") + otelcol_contrib_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "contrib-kill");
  survive_ten_sigkills(c, kContrib);
}

// SIGKILL to the CloudWatch agent, ten times: the supervisor runs the start
// program again every time, which execs the agent in that pid; the app is
// untouched and what it sent after the last restart arrives.
TEST_F(E2eNodeClients, CloudwatchAgentKilledTenTimesComesBackInTheStartProgramsPid) {
  std::string why;
  fs::path layout = build("cw-kill", service_yaml("e2e-cw-kill", "xray-app.js") + cloudwatch_agent_yaml(), &why);
  ASSERT_FALSE(layout.empty()) << why;
  Container c(layout, "1.0.0", work->path, "cw-kill");
  survive_ten_sigkills(c, kCwAgent);
  expect_pid_kept_by_exec(c.rootfs() / "tmp/adot-standin-sink.jsonl", 11);
}

}  // namespace
}  // namespace xb::e2e
