// The end-to-end harness: run real tools (xraybake, umoci, runc) as child
// processes (with a timeout, output interleaved in one log), serve the fixture
// .debs over loopback HTTP, and run an OCI image
// under runc and collect what the stand-ins wrote. Header-only, used by
// tests/integration/e2e_*_test.cpp.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "support/http_server.h"
#include "support/require.h"

namespace xb::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

using test::have_tool;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// JSON Lines (the stand-in daemon's sink); a missing file is empty.
inline std::vector<json> read_jsonl(const fs::path& p) {
  std::vector<json> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);  // a line being written is skipped
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& prefix = "xb-e2e") {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    fs::permissions(path, fs::perms::all);  // the service user must reach files below
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("XB_E2E_KEEP")) fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// ---- child processes ----

// Starts ARGV with ENV added ("K=V"), stdin /dev/null, stdout+stderr appended
// to LOG (or inherited when empty).
inline pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const fs::path& log) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setpgid(0, 0);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    if (!log.empty()) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// The exit code, or 128+signal; nullopt when TIMEOUT passed first.
inline std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r < 0) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

struct RunResult {
  int status = -1;
  std::string output;  // stdout and stderr, interleaved
};

inline RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     std::chrono::milliseconds timeout = 300s) {
  TempDir tmp("xb-run");
  fs::path log = tmp.path / "out";
  pid_t pid = spawn(argv, env, log);
  auto st = wait_for(pid, timeout);
  if (!st) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  RunResult r{st.value_or(-1), read_file(log)};
  if (!st) r.output += "\n[harness: timed out]";
  return r;
}

inline std::string describe(const std::vector<std::string>& argv, const RunResult& r) {
  std::string s;
  for (const auto& a : argv) s += a + " ";
  return s + "-> exit " + std::to_string(r.status) + "\n" + r.output;
}

// ---- the fixture .debs over loopback HTTP ----

// Serves the files of ROOT on 127.0.0.1 (tests/support's HttpServer), so a
// test sees that xraybake downloaded through a real socket.
class FileServer {
 public:
  explicit FileServer(fs::path root)
      : server_([root = std::move(root)](const test::Request& r) {
          fs::path file = root / fs::path(r.target).relative_path();
          if (r.target.find("..") != std::string::npos || !fs::is_regular_file(file))
            return test::Response::status_only(404);
          return test::Response::bytes(read_file(file));
        }) {}
  std::string url(const std::string& path = "/") const { return server_.url(path); }
  int requests(const std::string& path) const {
    int n = 0;
    for (const auto& r : server_.requests()) n += r.target == path;
    return n;
  }

 private:
  test::HttpServer server_;
};

// ---- the tests' agent ----

// The xray: section of the tests' services: the stand-in daemon 3.6.6 (the
// fixture .debs, signed by the stand-in key), local mode, a 3 s flush grace.
inline std::string standin_xray_section() {
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

// ---- what the stand-ins wrote ----

struct SinkRecord {
  std::vector<json> starts, bounds, flushes, progress;
};

inline SinkRecord read_sink(const fs::path& p) {
  SinkRecord s;
  for (auto& e : read_jsonl(p)) {
    std::string ev = e.value("event", "");
    if (ev == "start") s.starts.push_back(e);
    else if (ev == "bound") s.bounds.push_back(e);
    else if (ev == "flush") s.flushes.push_back(e);
    else if (ev == "progress") s.progress.push_back(e);
  }
  return s;
}

// Whether the flush's merged ranges hold every segment number in [first, last].
inline bool ranges_cover(const json& flush, uint64_t first, uint64_t last) {
  if (first > last) return true;
  for (const auto& r : flush.at("ranges"))
    if (r[0].get<uint64_t>() <= first && r[1].get<uint64_t>() >= last) return true;
  return false;
}

// ---- a container under runc ----

// One run of an OCI image: `umoci unpack` into a bundle, then `runc run` in the
// foreground of a child process (so its exit status is the container's), with
// the container's stdout/stderr in log().
class Container {
 public:
  Container(const fs::path& layout, const std::string& tag, const fs::path& workdir, const std::string& id)
      : id_("xb-e2e-" + std::to_string(getpid()) + "-" + id),
        bundle_(workdir / ("bundle-" + id_)),
        log_(workdir / (id_ + ".log")) {
    auto r = run({"umoci", "unpack", "--image", layout.string() + ":" + tag, bundle_.string()});
    if (r.status != 0) throw std::runtime_error("umoci unpack failed: " + r.output);
    config_ = json::parse(read_file(bundle_ / "config.json"));
    // No terminal: the runtime's stdout/stderr are the test's log file. The
    // new network namespace stays: runc brings up its loopback.
    config_["process"]["terminal"] = false;
  }
  ~Container() {
    if (runc_pid_ > 0 && !exit_status_) {
      run({"runc", "kill", id_, "KILL"}, {}, 10s);
      wait_for(runc_pid_, 10s);
    }
    run({"runc", "delete", "--force", id_}, {}, 10s);
  }

  json& config() { return config_; }
  void add_env(const std::string& kv) { config_["process"]["env"].push_back(kv); }
  fs::path rootfs() const { return bundle_ / "rootfs"; }
  fs::path log() const { return log_; }
  std::string log_text() const { return read_file(log_); }

  void start() {
    write_file(bundle_ / "config.json", config_.dump(2));
    runc_pid_ = spawn({"runc", "run", "--bundle", bundle_.string(), id_}, {}, log_);
  }

  // The container's processes, host pid -> argv[0], from `runc ps`.
  std::map<pid_t, std::string> processes() const {
    std::map<pid_t, std::string> out;
    auto r = run({"runc", "ps", "--format", "json", id_}, {}, 20s);
    if (r.status != 0) return out;
    json pids;
    try {
      pids = json::parse(r.output);
    } catch (...) {
      return out;
    }
    if (!pids.is_array()) return out;
    for (const auto& p : pids) {
      pid_t pid = p.get<pid_t>();
      std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
      out[pid] = cmd.substr(0, cmd.find('\0'));
    }
    return out;
  }
  std::optional<pid_t> find_process(const std::string& argv0) const {
    for (const auto& [pid, cmd] : processes())
      if (cmd == argv0) return pid;
    return std::nullopt;
  }
  // The host pid of the container's PID 1.
  std::optional<pid_t> init_pid() const {
    auto r = run({"runc", "state", id_}, {}, 20s);
    if (r.status != 0) return std::nullopt;
    return json::parse(r.output).value("pid", 0);
  }

  void kill(const std::string& sig) {
    auto r = run({"runc", "kill", id_, sig}, {}, 20s);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  // The container's exit status, nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (!exit_status_) exit_status_ = wait_for(runc_pid_, timeout);
    return exit_status_;
  }
  bool running() {
    if (exit_status_) return false;
    return !wait(0ms).has_value();
  }

 private:
  std::string id_;
  fs::path bundle_, log_;
  json config_;
  pid_t runc_pid_ = -1;
  std::optional<int> exit_status_;
};

// Polls PRED every 50 ms until it holds or TIMEOUT passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

}  // namespace xb::e2e
