// The stand-in ADOT collector (tests/fixtures/standin-collector.c) on its own,
// on the host and on loopback: it refuses what the real collector refuses,
// binds what the config names, records every X-Ray segment and OTLP span, and
// exports them on SIGTERM after the batch timeout. Then the two real npm
// clients (aws-xray-sdk-core, the OpenTelemetry JS SDK) against it: nothing lost.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "collector_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

const std::string kLogFile = "/opt/aws/aws-otel-collector/logs/aws-otel-collector.log";

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One stand-in collector process on the host, its sink and log in a temp dir.
class Collector {
 public:
  explicit Collector(const std::string& config, std::vector<std::string> env = {}) : dir_("xb-collector") {
    write_file(dir_.path / "config.yaml", config);
    env.push_back("ADOT_STANDIN_SINK=" + sink_path().string());
    env.push_back("RUN_IN_CONTAINER=True");
    pid_ = spawn({fixtures::standin_collector(), "--config", (dir_.path / "config.yaml").string()}, env, log());
  }
  ~Collector() {
    if (!status_) {
      ::kill(pid_, SIGKILL);
      wait_for(pid_, 10s);
    }
  }
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  fs::path sink_path() const { return dir_.path / "sink.jsonl"; }
  fs::path log() const { return dir_.path / "collector.log"; }
  std::string log_text() const { return read_file(log()); }
  CollectorSink sink() const { return read_collector_sink(sink_path()); }
  const fs::path& dir() const { return dir_.path; }

  // The "bound" line: every receiver listens. False after TIMEOUT.
  bool wait_bound(std::chrono::milliseconds timeout = 20s) {
    return eventually([&] { return !sink().bounds.empty(); }, timeout);
  }
  std::string listener(const std::string& name) const { return sink().bounds.at(0).at("listeners").at(name); }
  int port(const std::string& name) const {
    std::string a = listener(name);
    return std::stoi(a.substr(a.rfind(':') + 1));
  }
  std::string url(const std::string& name, const std::string& path) const {
    return "http://" + listener(name) + path;
  }

  void term() { ASSERT_EQ(::kill(pid_, SIGTERM), 0); }
  std::optional<int> wait(std::chrono::milliseconds timeout = 20s) {
    if (!status_) status_ = wait_for(pid_, timeout);
    return status_;
  }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

std::string xray_datagram(const std::string& id) {
  return std::string("{\"format\": \"json\", \"version\": 1}\n") + R"({"trace_id":"1-5f000000-0123456789abcdef01234567","id":")" +
         id + R"(","name":"direct","start_time":1.0,"end_time":2.0,"subsegments":[{"id":"ffffffffffffffff","name":"sub"}]})";
}

void send_udp(int port, const std::string& payload) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ssize_t n = sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  close(fd);
  ASSERT_EQ(n, static_cast<ssize_t>(payload.size()));
}

bool tcp_connects(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  close(fd);
  return ok;
}

std::string otlp_json(const std::vector<std::string>& span_ids) {
  json spans = json::array();
  for (const auto& id : span_ids)
    spans.push_back({{"traceId", "5f0000000123456789abcdef01234567"}, {"spanId", id}, {"name", "direct"}, {"kind", 1}});
  return json{{"resourceSpans",
               {{{"resource", {{"attributes", json::array()}}},
                 {"scopeSpans", {{{"scope", {{"name", "direct"}}}, {"spans", spans}}}}}}}}
      .dump();
}

// Protobuf by hand: ExportTraceServiceRequest{1: ResourceSpans{2: ScopeSpans{2: Span{1,2,5}}}}.
std::string pb_len(int field, const std::string& bytes) {
  std::string out(1, static_cast<char>((field << 3) | 2));
  for (size_t n = bytes.size(); ; n >>= 7) {
    out += static_cast<char>((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    if (n <= 0x7f) break;
  }
  return out + bytes;
}
std::string otlp_protobuf(const std::vector<std::string>& span_ids) {
  std::string scope = pb_len(1, pb_len(1, "direct"));
  for (const auto& hex : span_ids) {
    std::string id;
    for (size_t i = 0; i < hex.size(); i += 2) id += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    std::string span = pb_len(1, std::string(16, '\x5f')) + pb_len(2, id) + pb_len(5, "direct") + "\x20\x02";  // kind
    scope += pb_len(2, span);
  }
  return pb_len(1, pb_len(1, pb_len(1, "")) + pb_len(2, scope));
}

std::string hex_id(uint64_t n) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
  return buf;
}

// Macros, not functions: a skip or failure must return from the test itself.
#define REQUIRE_COLLECTOR() \
  XB_REQUIRE(fs::exists(fixtures::standin_collector()), "the stand-in collector fixture (cmake --build builds it)")

// ---- configs it refuses ----

struct Refused {
  std::string name, from, to, expect;  // replace FROM by TO in the good config; the error says EXPECT
};

TEST(StandinCollector, RefusesWhatTheCollectorRefusesNamingLineAndColumn) {
  REQUIRE_COLLECTOR();
  const std::string good = collector_config();
  const std::vector<Refused> cases = {
      {"unknown top-level key", "processors:\n", "procesors:\n", "config.yaml:18:1: 'config' has invalid keys: procesors"},
      {"component not in the build", "  awsxray:\n    region", "  awsxrayy:\n    region",
       "unknown type: \"awsxrayy\" for id: \"awsxrayy\""},
      {"pipeline names an undefined processor", "[memory_limiter, batch/traces]", "[memory_limiter, batch/other]",
       ":36:36: service::pipelines::traces: references processor \"batch/other\" which is not configured"},
      {"unknown key of a component", "send_batch_size", "send_batch_sise",
       "'processors::batch/traces' has invalid keys: send_batch_sise"},
      {"undefined extension", "extensions: [health_check]", "extensions: [health_check, pprof]",
       "references extension \"pprof\" which is not configured"},
      {"otlp without a protocol", "    protocols:\n", "    protocolz:\n", "'receivers::otlp' has invalid keys: protocolz"},
      {"x-ray receiver over tcp", "transport: udp", "transport: tcp", "only supports ingesting spans through UDP"},
      {"bad batch timeout", "timeout: 300ms", "timeout: soon", "processors::batch/traces::timeout: not a duration"},
      {"bad indentation", "    transport: udp", "     transport: udp", "bad indentation"},
  };
  for (const auto& c : cases) {
    std::string yaml = good;
    size_t at = yaml.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name;
    yaml.replace(at, c.from.size(), c.to);
    TempDir tmp("xb-collector-bad");
    write_file(tmp.path / "config.yaml", yaml);
    auto r = run({fixtures::standin_collector(), "--config", (tmp.path / "config.yaml").string()},
                 {"RUN_IN_CONTAINER=True", "ADOT_STANDIN_SINK=" + (tmp.path / "sink").string()}, 20s);
    EXPECT_EQ(r.status, 1) << c.name << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.name << "\n" << r.output;
    EXPECT_FALSE(fs::exists(tmp.path / "sink")) << c.name << ": it started anyway";
  }
  // Every problem at once.
  std::string yaml = good;
  yaml.replace(yaml.find("processors:\n"), 12, "procesors:\n");
  TempDir tmp("xb-collector-bad");
  write_file(tmp.path / "config.yaml", yaml);
  auto r = run({fixtures::standin_collector(), "--config", (tmp.path / "config.yaml").string()},
               {"RUN_IN_CONTAINER=True"}, 20s);
  EXPECT_NE(r.output.find("3 problems"), std::string::npos) << r.output;
  // The good one is accepted (the cases above fail for their change alone).
  Collector ok(good);
  EXPECT_TRUE(ok.wait_bound()) << ok.log_text();
}

TEST(StandinCollector, WithoutRunInContainerItLogsToItsFileAndExitsWhenThatIsMissing) {
  REQUIRE_COLLECTOR();
  if (fs::exists(fs::path(kLogFile).parent_path())) GTEST_SKIP() << "this machine has " << kLogFile;
  TempDir tmp("xb-collector-log");
  write_file(tmp.path / "config.yaml", collector_config());
  auto r = run({fixtures::standin_collector(), "--config", (tmp.path / "config.yaml").string()}, {}, 20s);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(kLogFile), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("RUN_IN_CONTAINER=True"), std::string::npos) << r.output;
}

// ---- what it binds and records ----

TEST(StandinCollector, HealthCheckIs503UntilTheReceiversAreBoundAndAgainOnceShutdownStarts) {
  REQUIRE_COLLECTOR();
  Collector c(collector_config(), {"ADOT_STANDIN_BIND_DELAY_MS=1500", "ADOT_STANDIN_FLUSH_DELAY_MS=1500"});
  ASSERT_TRUE(eventually([&] { return !c.sink().health.empty(); }, 20s)) << c.log_text();
  std::string health = "http://" + c.sink().health.at(0).at("endpoint").get<std::string>() + "/";
  Curl curl;
  auto early = curl.get(health);
  if (c.sink().bounds.empty()) {
    EXPECT_EQ(early.status, 503) << early.body << early.error;
  }
  ASSERT_TRUE(c.wait_bound()) << c.log_text();
  auto up = curl.get(health);
  EXPECT_EQ(up.status, 200) << up.error;
  EXPECT_NE(up.body.find("Server available"), std::string::npos) << up.body;
  EXPECT_EQ(curl.get("http://" + c.sink().health.at(0).at("endpoint").get<std::string>() + "/other").status, 404);

  c.term();
  // Exporting takes 1.5 s here: the health check answers meanwhile, unavailable.
  ASSERT_TRUE(eventually([&] { return c.log_text().find("Starting shutdown") != std::string::npos; }, 10s));
  auto down = curl.get(health);
  EXPECT_EQ(down.status, 503) << down.body << down.error;
  EXPECT_TRUE(c.sink().flushes.empty()) << "it was to answer while exporting";
  EXPECT_EQ(c.wait(), 0) << c.log_text();
  EXPECT_EQ(c.sink().flushes.size(), 1u);
}

TEST(StandinCollector, RecordsEverySegmentAndSpanAndExportsThemAfterTheBatchTimeoutOnSigterm) {
  REQUIRE_COLLECTOR();
  Collector c(collector_config("127.0.0.1", 0, 0, 0, 0, "700ms"));
  ASSERT_TRUE(c.wait_bound()) << c.log_text();
  auto s = c.sink();
  ASSERT_EQ(s.starts.size(), 1u);
  EXPECT_EQ(s.starts[0]["batch_timeout_ms"], 700);
  EXPECT_EQ(s.starts[0]["exporter"]["region"], "us-east-2");
  EXPECT_EQ(s.starts[0]["run_in_container"], true);
  for (const char* l : {"xray_udp", "xray_proxy", "otlp_grpc", "otlp_http", "health_check"})
    EXPECT_NE(c.port(l), 0) << l;

  // X-Ray UDP: 300 segments (each with a subsegment that is not counted apart),
  // and 2 datagrams that are not X-Ray documents.
  std::set<std::string> segments;
  for (uint64_t n = 1; n <= 300; n++) {
    segments.insert(hex_id(n));
    send_udp(c.port("xray_udp"), xray_datagram(hex_id(n)));
  }
  send_udp(c.port("xray_udp"), "{\"format\": \"json\", \"version\": 1}\n");
  send_udp(c.port("xray_udp"), "not a segment");

  // OTLP/HTTP on one keep-alive connection: JSON, JSON chunked, protobuf.
  Curl curl;
  std::string traces = c.url("otlp_http", "/v1/traces");
  std::set<std::string> spans;
  std::vector<std::string> a, b, p;
  for (uint64_t n = 1; n <= 40; n++) (n <= 20 ? a : n <= 30 ? b : p).push_back(hex_id(0xabc0000000000000ull + n));
  for (auto* v : {&a, &b, &p}) spans.insert(v->begin(), v->end());
  auto r1 = curl.post(traces, otlp_json(a), {"Content-Type: application/json"});
  EXPECT_EQ(r1.status, 200) << r1.body << r1.error;
  EXPECT_EQ(r1.body, "{}");
  auto r2 = curl.post(traces, otlp_json(b), {"Content-Type: application/json", "Transfer-Encoding: chunked"});
  EXPECT_EQ(r2.status, 200) << r2.body << r2.error;
  auto r3 = curl.post(traces, otlp_protobuf(p), {"Content-Type: application/x-protobuf"});
  EXPECT_EQ(r3.status, 200) << r3.body << r3.error;
  // What it refuses, as the OTLP receiver does.
  EXPECT_EQ(curl.post(traces, "{\"resourceSpans\":[", {"Content-Type: application/json"}).status, 400);
  EXPECT_EQ(curl.post(traces, "x", {"Content-Type: text/plain"}).status, 415);
  EXPECT_EQ(curl.get(traces).status, 405);
  EXPECT_EQ(curl.post(c.url("otlp_http", "/v1/nothing"), "{}", {"Content-Type: application/json"}).status, 404);
  // The X-Ray sampling proxy answers over HTTP (no X-Ray to proxy to); gRPC is bound.
  EXPECT_EQ(curl.post(c.url("xray_proxy", "/GetSamplingRules"), "{}", {"Content-Type: application/json"}).status,
            502);
  EXPECT_TRUE(tcp_connects(c.port("otlp_grpc")));

  // The periodic export (every batch timeout) has what came first.
  ASSERT_TRUE(eventually([&] { return c.sink().spans.size() == spans.size(); }, 10s)) << c.log_text();
  auto t0 = wall_ms();
  c.term();
  EXPECT_EQ(c.wait(), 0) << c.log_text();
  s = c.sink();
  ASSERT_EQ(s.flushes.size(), 1u) << c.log_text();
  EXPECT_GE(s.flushes[0]["time_ms"].get<int64_t>() - t0, 700 - 50) << "it did not wait for the batch timeout";
  EXPECT_EQ(s.segments, segments);
  EXPECT_EQ(s.segment_records, 300u) << "a segment was exported twice";
  EXPECT_EQ(s.spans, spans);
  EXPECT_EQ(s.span_records, 40u);
  EXPECT_EQ(s.flushes[0]["segments"], 300);
  EXPECT_EQ(s.flushes[0]["spans"], 40);
  EXPECT_EQ(s.flushes[0]["bad"], 3) << "two datagrams and one body were not traces";
  EXPECT_EQ(s.exports.back().value("final", false), true);
  EXPECT_NE(c.log_text().find("Shutdown complete."), std::string::npos) << c.log_text();
}

TEST(StandinCollector, UdpSentJustBeforeSigtermIsStillExported) {
  REQUIRE_COLLECTOR();
  Collector c(collector_config("127.0.0.1", 0, 0, 0, 0, "200ms"));
  ASSERT_TRUE(c.wait_bound()) << c.log_text();
  std::set<std::string> ids;
  for (uint64_t n = 1; n <= 2000; n++) {
    ids.insert(hex_id(n));
    send_udp(c.port("xray_udp"), xray_datagram(hex_id(n)));
  }
  c.term();  // what the kernel already holds was received before the stop
  EXPECT_EQ(c.wait(), 0) << c.log_text();
  EXPECT_EQ(c.sink().segments, ids);
}

// ---- the real npm clients against it ----

constexpr int kClientTermCode = 5;

#define REQUIRE_CLIENTS()                                                                         \
  do {                                                                                            \
    XB_REQUIRE_TOOL("node", "nodejs");                                                            \
    XB_REQUIRE(fs::exists(fixtures::clients_dir() + "/node_modules"),                             \
               "the npm test clients (cmake --build runs npm ci in tests/fixtures/clients; needs " \
               "npm and the npm registry)");                                                      \
  } while (0)

struct ClientRun {
  std::optional<int> status;
  json result;
  std::string log;
};

// Runs APP (xray-app.js or otel-app.js) with ENV for SEND, SIGTERMs it and waits.
ClientRun run_client(const std::string& app, std::vector<std::string> env, std::chrono::milliseconds send,
                     const fs::path& dir) {
  fs::path result = dir / (app + ".json"), log = dir / (app + ".log");
  env.push_back("CLIENT_RESULT=" + result.string());
  env.push_back("CLIENT_TERM_CODE=" + std::to_string(kClientTermCode));
  env.push_back("CLIENT_RATE=400");
  pid_t pid = spawn({"node", fixtures::clients_dir() + "/" + app}, env, log);
  ClientRun r;
  if (!eventually([&] { return read_file(log).find(" sending ") != std::string::npos; }, 30s)) {
    ::kill(pid, SIGKILL);
    wait_for(pid, 10s);
    r.log = read_file(log);
    return r;
  }
  std::this_thread::sleep_for(send);
  ::kill(pid, SIGTERM);
  r.status = wait_for(pid, 30s);
  if (!r.status) ::kill(pid, SIGKILL), wait_for(pid, 10s);
  r.result = read_result(result);
  r.log = read_file(log);
  return r;
}

TEST(StandinCollector, XraySdkClientLosesNoSegment) {
  REQUIRE_COLLECTOR();
  REQUIRE_CLIENTS();
  Collector c(collector_config());
  ASSERT_TRUE(c.wait_bound()) << c.log_text();
  auto r = run_client("xray-app.js", {"AWS_XRAY_DAEMON_ADDRESS=" + c.listener("xray_udp")}, 1500ms, c.dir());
  ASSERT_TRUE(r.status) << r.log;
  EXPECT_EQ(*r.status, kClientTermCode) << r.log;
  ASSERT_TRUE(r.result.is_object()) << r.log;
  EXPECT_EQ(r.result["errors"], 0) << r.log;
  size_t sent = r.result["sent"];
  EXPECT_GT(sent, 300u) << "about 2 s at 400/s";
  // It kept sending while it drained.
  EXPECT_GE(r.result["end_ms"].get<int64_t>() - r.result["term_ms"].get<int64_t>(), 500);
  c.term();
  EXPECT_EQ(c.wait(), 0) << c.log_text();
  auto s = c.sink();
  auto lost = missing_ids(r.result, s.segments);
  EXPECT_TRUE(lost.empty()) << describe_missing(lost, sent);
  EXPECT_EQ(s.segments.size(), sent);
  EXPECT_EQ(s.flushes.at(0)["bad"], 0);
}

class OtelClient : public ::testing::TestWithParam<std::string> {};

TEST_P(OtelClient, LosesNoSpan) {
  REQUIRE_COLLECTOR();
  REQUIRE_CLIENTS();
  Collector c(collector_config());
  ASSERT_TRUE(c.wait_bound()) << c.log_text();
  auto r = run_client("otel-app.js",
                      {"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + c.listener("otlp_http"),
                       "OTEL_EXPORTER_OTLP_PROTOCOL=" + GetParam()},
                      1500ms, c.dir());
  ASSERT_TRUE(r.status) << r.log;
  EXPECT_EQ(*r.status, kClientTermCode) << r.log;
  ASSERT_TRUE(r.result.is_object()) << r.log;
  EXPECT_EQ(r.result["errors"], 0) << r.log;
  EXPECT_TRUE(r.result["failure"].is_null()) << r.result["failure"];
  size_t sent = r.result["sent"];
  EXPECT_GT(sent, 300u);
  c.term();
  EXPECT_EQ(c.wait(), 0) << c.log_text();
  auto s = c.sink();
  auto lost = missing_ids(r.result, s.spans);
  EXPECT_TRUE(lost.empty()) << describe_missing(lost, sent);
  EXPECT_EQ(s.spans.size(), sent);
  EXPECT_EQ(s.flushes.at(0)["bad"], 0);
}

INSTANTIATE_TEST_SUITE_P(Protocols, OtelClient, ::testing::Values("http/protobuf", "http/json"),
                         [](const auto& info) { return info.param == "http/json" ? "Json" : "Protobuf"; });

}  // namespace
}  // namespace xb::e2e
