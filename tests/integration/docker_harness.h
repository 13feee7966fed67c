// A real Docker engine for the end-to-end tests: Debian's dockerd started by
// the test (its own data root, exec root, pidfile and unix socket in a temp
// dir; no bridge, no iptables; overlay2, else vfs), Debian's /usr/bin/docker
// against it, images loaded with skopeo from an OCI layout, containers run
// with --pull never --network none, stopped with `docker stop` and read with
// `docker logs` / `docker cp` (the image stays as built: no bind mounts).
// What the stand-ins wrote is checked by the stop assertions shared with the
// arm64 tests. Header-only, on top of e2e_harness.h.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <random>

#include "e2e_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {

// Debian's docker.io (20.10): /usr/local/bin/docker may be a newer client
// whose `docker build` needs buildx, so these paths are explicit.
inline constexpr const char* kDocker = "/usr/bin/docker";
inline constexpr const char* kDockerd = "/usr/sbin/dockerd";

inline bool have_docker_engine() { return ::access(kDocker, X_OK) == 0 && ::access(kDockerd, X_OK) == 0; }

// Whether a unix socket at PATH accepts a connection.
inline bool socket_accepts(const fs::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string p = path.string();
  if (p.size() >= sizeof a.sun_path) {
    ::close(fd);
    return false;
  }
  std::copy(p.begin(), p.end(), a.sun_path);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The image config ("config" of the config blob) of ARCH's manifest of TAG in
// an xraybake OUT/oci layout (index.json -> image index -> one manifest per
// platform); also the manifest's digest in *MANIFEST_DIGEST.
inline json oci_image_config(const fs::path& layout, const std::string& arch, std::string* manifest_digest = nullptr) {
  auto blob = [&](const std::string& digest) {
    return json::parse(read_file(layout / "blobs" / "sha256" / digest.substr(7)));
  };
  json top = json::parse(read_file(layout / "index.json"))["manifests"][0];
  json manifest;
  if (top.value("mediaType", "") == "application/vnd.oci.image.index.v1+json") {
    json index = blob(top["digest"]);
    for (const auto& m : index["manifests"])
      if (m["platform"]["architecture"] == arch) {
        if (manifest_digest) *manifest_digest = m["digest"];
        manifest = blob(m["digest"]);
      }
  } else {
    if (manifest_digest) *manifest_digest = top["digest"];
    manifest = blob(top["digest"]);
  }
  if (manifest.is_null()) throw std::runtime_error("no " + arch + " manifest in " + layout.string());
  return blob(manifest["config"]["digest"])["config"];
}

// One dockerd of the test's own. Started by the constructor (throws with its
// log when it does not come up), stopped by PID in the destructor.
class DockerEngine {
 public:
  explicit DockerEngine(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir_ / "config");  // DOCKER_CONFIG: no user's config or credentials
    std::string why;
    for (const char* driver : {"overlay2", "vfs"}) {
      if (start(driver, &why)) {
        driver_ = driver;
        return;
      }
    }
    throw std::runtime_error("dockerd did not start:\n" + why);
  }
  ~DockerEngine() { stop(); }
  DockerEngine(const DockerEngine&) = delete;
  DockerEngine& operator=(const DockerEngine&) = delete;

  std::string host() const { return "unix://" + socket_.string(); }
  const std::string& storage_driver() const { return driver_; }
  std::string log_text() const { return read_file(log_); }

  // /usr/bin/docker -H HOST ARGS (BuildKit on for `build`).
  RunResult docker(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 120s) const {
    std::vector<std::string> argv{kDocker, "-H", host()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, {"DOCKER_CONFIG=" + (dir_ / "config").string(), "DOCKER_BUILDKIT=1"}, timeout);
    if (r.status != 0) r.output = describe(argv, r);
    return r;
  }
  // `docker ARGS` that must succeed: its stdout+stderr without the last newline.
  std::string must(const std::vector<std::string>& args) const {
    auto r = docker(args);
    if (r.status != 0) throw std::runtime_error(r.output);
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
  }
  json inspect(const std::string& object) const { return json::parse(must({"inspect", object}))[0]; }

  // TAG of the OCI LAYOUT into the engine as NAME (ARCH's image of a
  // multi-platform index, the host's when empty).
  RunResult load(const fs::path& layout, const std::string& tag, const std::string& name,
                 const std::string& arch = "") const {
    std::vector<std::string> argv{"skopeo", "copy", "--quiet"};
    if (!arch.empty()) argv.insert(argv.end(), {"--override-os", "linux", "--override-arch", arch});
    argv.insert(argv.end(), {"--dest-daemon-host", host(), "oci:" + layout.string() + ":" + tag,
                             "docker-daemon:" + name});
    auto r = run(argv);
    if (r.status != 0) r.output = describe(argv, r);
    return r;
  }

 private:
  bool start(const std::string& driver, std::string* why) {
    fs::path root = dir_ / driver;
    fs::create_directories(root);
    socket_ = root / "docker.sock";
    log_ = root / "dockerd.log";
    pid_ = spawn({kDockerd, "--data-root", (root / "data").string(), "--exec-root", (root / "exec").string(),
                  "--pidfile", (root / "dockerd.pid").string(), "--host", host(), "--storage-driver", driver,
                  "--iptables=false", "--ip-masq=false", "--bridge=none", "--userland-proxy=false",
                  "--log-level=warn"},
                 {}, log_);
    // Up when the API socket answers; gone when dockerd exited (a storage
    // driver it can not use here).
    bool exited = false;
    bool up = eventually(
        [&] {
          if (wait_for(pid_, 0ms)) return exited = true;
          return socket_accepts(socket_) && docker({"version"}, 20s).status == 0;
        },
        90s);
    if (up && !exited) return true;
    *why += "--storage-driver " + driver + ": " + (exited ? "dockerd exited" : "no answer in 90 s") + "\n" +
            read_file(log_) + "\n";
    if (!exited) stop();
    pid_ = -1;
    return false;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);  // dockerd stops its containers and its containerd
    if (!wait_for(pid_, 60s)) {
      ::kill(-pid_, SIGKILL);
      wait_for(pid_, 10s);
    }
    pid_ = -1;
  }

  fs::path dir_, socket_, log_;
  std::string driver_;
  pid_t pid_ = -1;
};

// One container of an engine, removed by the destructor.
class DockerContainer {
 public:
  DockerContainer(const DockerEngine& engine, std::string name) : engine_(engine), name_(std::move(name)) {}
  ~DockerContainer() {
    if (started_) engine_.docker({"rm", "--force", name_}, 60s);
  }
  DockerContainer(const DockerContainer&) = delete;
  DockerContainer& operator=(const DockerContainer&) = delete;

  const std::string& name() const { return name_; }

  // docker run --detach --pull never --network none [--platform P] [-e ENV] IMAGE
  RunResult run(const std::string& image, const std::vector<std::string>& env = {},
                const std::string& platform = "") {
    std::vector<std::string> args{"run", "--detach", "--pull", "never", "--network", "none", "--name", name_};
    if (!platform.empty()) args.insert(args.end(), {"--platform", platform});
    for (const auto& kv : env) args.insert(args.end(), {"--env", kv});
    args.push_back(image);
    auto r = engine_.docker(args);
    started_ = started_ || r.status == 0;
    return r;
  }
  std::string logs() const { return engine_.docker({"logs", name_}).output; }
  json state() const { return engine_.inspect(name_)["State"]; }

  // docker stop --time TIMEOUT: its result and how long it took.
  std::pair<RunResult, Clock::duration> stop(std::chrono::seconds timeout) const {
    auto t0 = Clock::now();
    auto r = engine_.docker({"stop", "--time", std::to_string(timeout.count()), name_}, timeout + 60s);
    return {r, Clock::now() - t0};
  }

  // The text of PATH inside the container (running or stopped), via docker cp; empty when it is not there.
  std::string file(const std::string& path, const fs::path& scratch) const {
    fs::path to = scratch / (name_ + "-" + fs::path(path).filename().string());
    fs::remove(to);
    if (engine_.docker({"cp", name_ + ":" + path, to.string()}).status != 0) return "";
    return read_file(to);
  }

 private:
  const DockerEngine& engine_;
  std::string name_;
  bool started_ = false;
};

// ---- the stop test, shared by the Docker and arm64 tests ----

inline constexpr int kStandinTermCode = 7;  // the app's exit status after SIGTERM: tells it from a default 0

// A service of the stand-in app on BASE (an oci: layout or a loopback
// registry reference) for PLATFORMS ("[linux/amd64]"), on the stand-in X-Ray
// daemon unless AGENT (an agent: section) says otherwise.
inline std::string standin_service_yaml(const std::string& name, const std::string& base,
                                        const std::string& platforms, const std::string& extra_service = "",
                                        const std::string& agent = "") {
  return "apiVersion: xraybake/v1\nservice:\n  name: " + name + "\n  base: " + base + "\n  platforms: " +
         platforms + R"(
  command: [/usr/local/bin/standin-app]
  user: "10001:10001"
  env:
    STANDIN_APP_RATE: "500"
    STANDIN_APP_TERM_CODE: ")" + std::to_string(kStandinTermCode) + R"("
  stop_timeout: 20s
  tag: )" + name + ":1.0.0\n" + extra_service + (agent.empty() ? standin_xray_section() : agent);
}

// xraybake build of YAML in DIR (DIR/out), the agents' .debs served by SERVER
// over loopback HTTP; "" or the failure.
inline std::string xraybake_build_in(const fs::path& dir, const std::string& yaml, const fs::path& cache,
                                     const FileServer& server) {
  write_file(dir / "xraybake.yaml", yaml);
  std::vector<std::string> argv{XB_XRAYBAKE_BIN, "build", (dir / "xraybake.yaml").string(), "-o",
                                (dir / "out").string(), "--cache-dir", cache.string()};
  auto r = run(argv, {"XRAYBAKE_DAEMON_URL=" + server.url("/aws-xray-daemon-linux-{arch}-{version}.deb"),
                      "XRAYBAKE_ADOT_URL=" + server.url("/aws-otel-collector-{arch}-{version}.deb"),
                      "SOURCE_DATE_EPOCH=1700000000"});
  return r.status == 0 ? "" : describe(argv, r);
}


// What a container of the stand-in app (tests/fixtures/standin-app.c) on the
// stand-in X-Ray daemon left after a stop: the app's result file, the daemon's
// sink, the exit status, the log.
struct StandinStop {
  std::optional<int> status;  // the container's exit status
  Clock::duration took{};     // from the stop to the exit
  json app;                   // /tmp/standin-app.json
  SinkRecord sink;            // /tmp/xray-standin-sink.jsonl
  std::string log;
};

// The app stopped by SIGTERM with TERM_CODE, as the service user; the
// daemon flushed once, after the app ended, every segment 1..sent; the
// stop inside BUDGET.
inline void expect_no_segment_lost(const StandinStop& s, int term_code, Clock::duration budget) {
  ASSERT_TRUE(s.status) << "the container did not stop\n" << s.log;
  ASSERT_TRUE(s.app.is_object()) << "no /tmp/standin-app.json\n" << s.log;
  EXPECT_EQ(*s.status, term_code) << "the container's exit status is the app's\n" << s.log;
  EXPECT_EQ(s.app["exit"], term_code);
  EXPECT_EQ(s.app["reason"], "signal");
  EXPECT_EQ(s.app["uid"], 10001);
  uint64_t sent = s.app["sent"];
  EXPECT_GT(sent, 100u) << s.log;
  ASSERT_EQ(s.sink.starts.size(), 1u) << s.log;
  EXPECT_EQ(s.sink.starts[0]["uid"], 10001);
  ASSERT_EQ(s.sink.flushes.size(), 1u) << "the daemon did not flush\n" << s.log;
  EXPECT_GE(s.sink.flushes[0]["time_ms"].get<int64_t>(), s.app["end_ms"].get<int64_t>()) << "the app stops first";
  EXPECT_EQ(s.sink.flushes[0]["bad"], 0);
  EXPECT_EQ(s.sink.flushes[0]["ranges"], json::parse("[[1," + std::to_string(sent) + "]]"))
      << "segments lost\n" << s.log;
  EXPECT_LT(s.took, budget) << "the stop took too long\n" << s.log;
  EXPECT_NE(s.log.find("Successfully sent batch of " + std::to_string(sent) + " segments"), std::string::npos)
      << s.log;
}

// Runs IMAGE in ENGINE as NAME, waits for the app's first line, lets it send
// for SEND, then `docker stop --time STOP_TIMEOUT` and collects what it left.
inline StandinStop docker_run_then_stop(const DockerEngine& engine, const std::string& image, const std::string& name,
                                        const fs::path& scratch, std::chrono::milliseconds send,
                                        std::chrono::seconds stop_timeout, const std::vector<std::string>& env = {},
                                        const std::string& platform = "") {
  StandinStop s;
  DockerContainer c(engine, name);
  auto r = c.run(image, env, platform);
  if (r.status != 0) {
    s.log = r.output;
    return s;
  }
  if (!eventually([&] { return c.logs().find("standin-app: pid") != std::string::npos; }, 60s)) {
    s.log = c.logs();
    return s;
  }
  std::this_thread::sleep_for(send);
  auto [stopped, took] = c.stop(stop_timeout);
  s.took = took;
  json state = c.state();
  if (stopped.status == 0 && !state["Running"].get<bool>()) s.status = state["ExitCode"].get<int>();
  s.log = c.logs() + (stopped.status == 0 ? "" : "\n" + stopped.output);
  std::string app = c.file("/tmp/standin-app.json", scratch);
  if (!app.empty()) s.app = json::parse(app, nullptr, false);
  write_file(scratch / (name + "-sink.jsonl"), c.file("/tmp/xray-standin-sink.jsonl", scratch));
  s.sink = read_sink(scratch / (name + "-sink.jsonl"));
  return s;
}

// ---- the examples (examples/NAME) under Docker ----

// examples/EXAMPLE/xraybake.yaml as the tests build it: LOCAL_BASE (an oci:
// layout) for its vendor base, linux/amd64 only, the tag IMAGE:1.0.0, and the
// stand-in daemon's xray: section for its own (the last section of every
// example); all else, service.files included, as written.
inline std::string example_yaml(const std::string& example, const std::string& image, const std::string& local_base) {
  std::istringstream in(read_file(fs::path(XB_SOURCE_DIR) / "examples" / example / "xraybake.yaml"));
  std::string out;
  int replaced = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  base: ", 0) == 0) {
      out += "  base: " + local_base + "\n  platforms: [linux/amd64]\n";
      replaced++;
    } else if (line.rfind("  tag: ", 0) == 0) {
      out += "  tag: " + image + ":1.0.0\n";
      replaced++;
    } else if (line == "xray:") {
      return replaced == 2 ? out + standin_xray_section() : "";
    } else if (line.rfind("  platforms: ", 0) != 0) {
      out += line + "\n";
    }
  }
  return "";  // not the shape above: the caller's ASSERT says so
}

// Copies the folders of examples/EXAMPLE (the app its service.files name) into DIR.
inline void copy_example_folders(const std::string& example, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(fs::path(XB_SOURCE_DIR) / "examples" / example))
    if (e.is_directory()) fs::copy(e.path(), dir / e.path().filename(), fs::copy_options::recursive);
}

// What a container of an example (its app on the stand-in daemon) left after `docker stop`.
struct ExampleStop {
  std::optional<int> status;  // the container's exit status
  Clock::duration took{};     // of docker stop
  std::string log;
  SinkRecord sink;  // /tmp/xray-standin-sink.jsonl
};

inline ExampleStop docker_stop_example(const DockerContainer& c, std::chrono::seconds timeout,
                                       const fs::path& scratch) {
  ExampleStop s;
  auto [stopped, took] = c.stop(timeout);
  s.took = took;
  json state = c.state();
  if (stopped.status == 0 && !state["Running"].get<bool>()) s.status = state["ExitCode"].get<int>();
  s.log = c.logs() + (stopped.status == 0 ? "" : "\n" + stopped.output);
  fs::path sink = scratch / (c.name() + "-sink.jsonl");
  write_file(sink, c.file(std::string(fixtures::daemon_sink_default), scratch));
  s.sink = read_sink(sink);
  return s;
}

// The app exited 0 on SIGTERM, the stop inside BUDGET; the stand-in daemon
// flushed once, after it, every one of SEGMENTS segments and no bad datagram.
inline void expect_example_stopped(const ExampleStop& s, size_t segments, Clock::duration budget) {
  ASSERT_TRUE(s.status) << "the container did not stop\n" << s.log;
  EXPECT_EQ(*s.status, 0) << "the app's exit status after SIGTERM\n" << s.log;
  EXPECT_LT(s.took, budget) << "the stop took too long\n" << s.log;
  ASSERT_EQ(s.sink.flushes.size(), 1u) << "the daemon did not flush\n" << s.log;
  EXPECT_EQ(s.sink.flushes[0]["bad"], 0) << s.log;
  EXPECT_EQ(s.sink.flushes[0]["count"], segments) << "one segment per request or job, none lost\n" << s.log;
}

// A value for X-Amzn-Trace-Id as a load balancer sends it: a new trace root,
// marked sampled upstream (so an SDK's own sampling decides nothing).
inline std::string sampled_trace_header() {
  static std::mt19937_64 random{std::random_device{}()};
  char root[40];
  std::snprintf(root, sizeof root, "1-%08llx-%08llx%016llx",
                static_cast<unsigned long long>(std::time(nullptr)),
                static_cast<unsigned long long>(random() & 0xffffffffu), static_cast<unsigned long long>(random()));
  return std::string("Root=") + root + ";Sampled=1";
}

// N GETs of URL (the container's loopback) by the host's curl inside
// CONTAINER's network namespace (nsenter: the container has --network none,
// nothing else is reached), in one curl over one connection where the server
// keeps it, each with its own sampled_trace_header(); the HTTP status of
// each, one a line, or the failure.
inline RunResult curl_in_container(const DockerEngine& engine, const std::string& container, const std::string& url,
                                   int n) {
  int pid = engine.inspect(container)["State"]["Pid"].get<int>();
  std::vector<std::string> argv{"nsenter", "--target", std::to_string(pid), "--net", "curl"};
  for (int i = 0; i < n; i++) {
    if (i) argv.push_back("--next");
    argv.insert(argv.end(), {"--silent", "--show-error", "--max-time", "30", "--output", "/dev/null", "--write-out",
                             "%{http_code}\n", "--header", "X-Amzn-Trace-Id: " + sampled_trace_header(), url});
  }
  auto r = run(argv, {}, 120s);
  if (r.status != 0) r.output = describe({"nsenter", "--target", std::to_string(pid), "--net", "curl", url}, r);
  return r;
}

// How many lines of TEXT are LINE.
inline size_t count_lines(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  size_t n = 0;
  for (std::string l; std::getline(in, l);) n += l == line;
  return n;
}

}  // namespace xb::e2e
