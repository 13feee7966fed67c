// Drives the real static xraybake-init with real child processes: the fake
// daemon and fake app log timestamped events (CLOCK_MONOTONIC, like
// std::chrono::steady_clock) that the tests compare.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/require.h"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kInit = XB_INIT_AMD64;
const std::string kDaemon = XB_FAKE_DAEMON;
const std::string kApp = XB_FAKE_APP;

long long now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }
long long ms(long long ns) { return ns / 1000000; }

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Event {
  long long ns;
  int pid;
  std::string name;
  long value;
};

std::vector<Event> events(const std::string &path) {
  std::vector<Event> out;
  std::ifstream in(path);
  Event e;
  while (in >> e.ns >> e.pid >> e.name >> e.value) out.push_back(e);
  return out;
}

std::vector<Event> named(const std::string &path, const std::string &name) {
  std::vector<Event> out;
  for (auto &e : events(path))
    if (e.name == name) out.push_back(e);
  return out;
}

const Event *first(const std::vector<Event> &evs, const std::string &name, long value = -1) {
  for (auto &e : evs)
    if (e.name == name && (value < 0 || e.value == value)) return &e;
  return nullptr;
}

bool wait_until(const std::function<bool()> &pred, std::chrono::milliseconds timeout = 10s) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool has_event(const std::string &path, const std::string &name, long value = -1) {
  auto evs = events(path);
  return first(evs, name, value) != nullptr;
}

int free_port(int type) {
  int s = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr *>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}
int free_udp_port() { return free_port(SOCK_DGRAM); }
int free_tcp_port() { return free_port(SOCK_STREAM); }

size_t count(const std::vector<Event> &evs, const std::string &name, long value = -1) {
  size_t n = 0;
  for (auto &e : evs) n += e.name == name && (value < 0 || e.value == value);
  return n;
}

// A process of the test's own (a stand-in agent outside any supervisor), killed at the end.
struct Background {
  pid_t pid = -1;
  explicit Background(const std::vector<std::string> &argv) {
    std::vector<char *> args;
    for (auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    pid = fork();
    if (pid == 0) {
      execv(args[0], args.data());
      _exit(120);
    }
  }
  ~Background() {
    if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
  }
};

std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  pid_t c;
  while (in >> c) out.push_back(c);
  return out;
}

char proc_state(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Whether PID has a SIGCHLD queued that it has not read yet (SigPnd/ShdPnd).
bool sigchld_pending(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  bool pending = false;
  while (std::getline(in, line))
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0)
      pending |= (std::stoull(line.substr(line.find(':') + 1), nullptr, 16) >> (SIGCHLD - 1)) & 1;
  return pending;
}

long ctxt_switches(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  long total = 0;
  while (std::getline(in, line))
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
      total += std::stol(line.substr(line.find(':') + 1));
  return total;
}

// A temporary directory per test with the log files in it.
class Supervisor : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xb-supervisor-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    err_ = dir_ + "/stderr";
    dlog_ = dir_ + "/daemon.log";
    alog_ = dir_ + "/app.log";
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!HasFailure()) fs::remove_all(dir_);
    else std::cerr << "supervisor stderr:\n" << slurp(err_) << "kept " << dir_ << "\n";
  }

  // Starts argv with stdout+stderr to err_; in a new PID namespace (as PID 1) if asked.
  pid_t start(const std::vector<std::string> &argv, bool new_pidns = false) {
    std::vector<char *> args;
    for (auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    int out = open(err_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    started_ns_ = now_ns();  // before the fork: earlier than any deadline the supervisor sets
    pid_t pid = new_pidns ? static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0)) : fork();
    if (pid == 0) {
      dup2(out, 1);
      dup2(out, 2);
      int null = open("/dev/null", O_RDONLY);
      dup2(null, 0);
      execv(args[0], args.data());
      _exit(120);
    }
    close(out);
    pid_ = pid;
    return pid;
  }

  // The exit code (or 128+signal) of the supervisor; -1 after a timeout.
  int wait_exit(std::chrono::milliseconds timeout = 20s) {
    auto end = Clock::now() + timeout;
    int status;
    while (Clock::now() < end) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exited_ns_ = now_ns();
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(2ms);
    }
    ADD_FAILURE() << "the supervisor did not exit in time";
    return -1;
  }

  int run(const std::vector<std::string> &argv) {
    start(argv);
    return wait_exit();
  }

  std::vector<std::string> with_daemon(const std::vector<std::string> &daemon_args, const std::vector<std::string> &opts = {}) {
    std::vector<std::string> v{kInit, "--daemon", kDaemon, "--daemon-arg", "--log", "--daemon-arg", dlog_};
    for (auto &a : daemon_args) v.insert(v.end(), {"--daemon-arg", a});
    v.insert(v.end(), opts.begin(), opts.end());
    return v;
  }
  std::vector<std::string> plus_app(std::vector<std::string> v, const std::vector<std::string> &app_args) {
    v.insert(v.end(), {"--", kApp, "--log", alog_});
    v.insert(v.end(), app_args.begin(), app_args.end());
    return v;
  }
  std::string stderr_text() { return slurp(err_); }

  std::string dir_, err_, dlog_, alog_;
  pid_t pid_ = -1;
  long long started_ns_ = 0, exited_ns_ = 0;
};

TEST_F(Supervisor, VersionAndHelp) {
  EXPECT_EQ(run({kInit, "--version"}), 0);
  EXPECT_NE(stderr_text().find("xraybake-init 0.1"), std::string::npos);
  EXPECT_EQ(run({kInit, "--help"}), 0);
  for (const char *flag : {"--config", "--daemon", "--daemon-arg", "--daemon-env", "--ready ", "udp:HOST:PORT",
                           "tcp:HOST:PORT", "http://HOST:PORT/PATH", "--ready-udp", "--ready-timeout", "--check",
                           "--flush-grace", "--stop-timeout", "--max-backoff", "--daemon-log", "--verbose", "--quiet"})
    EXPECT_NE(stderr_text().find(flag), std::string::npos) << flag;
}

TEST_F(Supervisor, BadUsageExits2WithAMessage) {
  EXPECT_EQ(run({kInit, "--bogus", "--", "/bin/true"}), 2);
  EXPECT_NE(stderr_text().find("xraybake-init: unknown option '--bogus'"), std::string::npos);
  EXPECT_EQ(run({kInit, "--stop-timeout", "5 parsecs", "--", "/bin/true"}), 2);
  EXPECT_NE(stderr_text().find("bad duration"), std::string::npos);
  EXPECT_EQ(run({kInit}), 2);
  EXPECT_NE(stderr_text().find("no app to run"), std::string::npos);
  std::ofstream(dir_ + "/bad.conf") << "# comment\nstop-timeout = 5s\nstop-timeuot = 5s\n";
  EXPECT_EQ(run({kInit, "--config", dir_ + "/bad.conf", "--", "/bin/true"}), 2);
  EXPECT_NE(stderr_text().find(dir_ + "/bad.conf:3: unknown key 'stop-timeuot'"), std::string::npos);
  EXPECT_EQ(run({kInit, "--config", dir_ + "/missing.conf", "--", "/bin/true"}), 2);
}

// strtod would take nan, inf, hex and exponents; a duration is digits and a unit.
TEST_F(Supervisor, BadDurationsAreRefusedNamingTheOption) {
  for (const char *bad : {"nan", "nans", "NaNms", "nanm", "inf", "infs", "infinity", "infinityms", "-1s", "-0.5s",
                          "+5s", "1e3ms", "0x10s", "1e400s", "99999999999999999999999s", "1000000001m", "5", ".5s",
                          "5.s", "5 s", "s", ""}) {
    fs::remove(err_);
    EXPECT_EQ(run({kInit, "--flush-grace", bad, "--", kApp}), 2) << bad;
    EXPECT_NE(stderr_text().find("--flush-grace: bad duration '" + std::string(bad) + "'"), std::string::npos)
        << bad << ": " << stderr_text();
    EXPECT_EQ(stderr_text().find("started"), std::string::npos) << bad << ": the app was started";
  }
  std::ofstream(dir_ + "/init.conf") << "stop-timeout = 10s\nready-timeout = nans\n";
  EXPECT_EQ(run({kInit, "--config", dir_ + "/init.conf", "--", kApp}), 2);
  EXPECT_NE(stderr_text().find(dir_ + "/init.conf:2: ready-timeout: bad duration 'nans'"), std::string::npos)
      << stderr_text();
  // What stays valid: decimals, each unit, a bare 0, the largest.
  for (const char *good : {"0", "0ms", "1.5s", "250ms", "2m", "0.25m", "1000000000ms"})
    EXPECT_EQ(run({kInit, "-q", "--ready-timeout", good, "--", kApp}), 0) << good << ": " << stderr_text();
}

TEST_F(Supervisor, ExitStatusPassesThrough) {
  for (int code = 0; code <= 255; code++) {
    ASSERT_EQ(run({kInit, "-q", "--", kApp, "--exit", std::to_string(code)}), code) << code;
  }
  EXPECT_EQ(stderr_text(), "") << "--quiet still logged";
}

TEST_F(Supervisor, DeathBySignalGives128PlusN) {
  for (int sig : {SIGHUP, SIGINT, SIGKILL, SIGSEGV, SIGUSR1, SIGTERM, SIGABRT})
    EXPECT_EQ(run({kInit, "--", kApp, "--raise", std::to_string(sig)}), 128 + sig) << sig;
}

TEST_F(Supervisor, AppThatCannotBeExecutedGives127Or126) {
  EXPECT_EQ(run({kInit, "--", dir_ + "/no-such-app"}), 127);
  EXPECT_NE(stderr_text().find("xraybake-init: cannot execute " + dir_ + "/no-such-app: No such file or directory"),
            std::string::npos);
  std::ofstream(dir_ + "/not-executable") << "data\n";
  EXPECT_EQ(run({kInit, "--", dir_ + "/not-executable"}), 126);
  EXPECT_NE(stderr_text().find("Permission denied"), std::string::npos);
}

TEST_F(Supervisor, ForwardsEveryForwardableSignal) {
  pid_t pid = start({kInit, "--", kApp, "--log", alog_, "--catch", "--sleep", "-1"});
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  std::vector<int> sigs;
  for (int sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGTERM && sig != SIGINT) sigs.push_back(sig);
  // 32-34: reserved inside musl and glibc, whose sigfillset leaves them out
  // (the old supervisor, built with musl, was killed by them); the rest of the
  // real-time signals.
  for (int sig : {32, 33, 34, 35, 40, 50, 64}) sigs.push_back(sig);
  sigs.push_back(SIGTERM);  // last: the app exits 0 on it (SIGINT too: StopOrder covers it)
  for (int sig : sigs) {
    ASSERT_EQ(kill(pid, sig), 0);
    ASSERT_TRUE(wait_until([&] { return has_event(alog_, "signal", sig); })) << "signal " << sig << " not forwarded";
  }
  EXPECT_EQ(wait_exit(), 0);
}

// Every signal that can be blocked is (SigBlk: all of 1-64 but SIGKILL and
// SIGSTOP), so none can kill the supervisor, as PID 1 or not.
TEST_F(Supervisor, BlocksEverySignal) {
  pid_t pid = start({kInit, "--", kApp, "--log", alog_, "--catch", "--sleep", "-1"});
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  unsigned long long blocked = 0;
  while (std::getline(in, line))
    if (line.rfind("SigBlk:", 0) == 0) blocked = std::stoull(line.substr(7), nullptr, 16);
  const unsigned long long unblockable = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
  EXPECT_EQ(blocked, ~unblockable) << std::hex << "SigBlk " << blocked;
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 0);
}

// The app leaves orphaned grandchildren; they must become the supervisor's
// children (PID 1 or subreaper) and be reaped when they exit.
void check_orphans_reaped(pid_t sup, const std::string &alog) {
  ASSERT_TRUE(wait_until([&] { return named(alog, "orphan").size() == 5; }));
  // Orphans exit 3 s after they were forked, the app after 8 s: in between
  // only the app is left, with no zombie. (Wide windows, so that a test thread
  // starved on a loaded machine still sees both states.)
  EXPECT_TRUE(wait_until([&] { return children_of(sup).size() >= 6; }, 3s)) << "orphans were not reparented";
  EXPECT_TRUE(wait_until([&] { return children_of(sup).size() == 1; }, 5s)) << "zombies left";
  for (pid_t c : children_of(sup)) EXPECT_NE(proc_state(c), 'Z');
}

TEST_F(Supervisor, ReapsOrphansAsSubreaper) {
  pid_t pid = start({kInit, "--", kApp, "--log", alog_, "--orphans", "5", "--orphan-ms", "3000", "--sleep", "8000"});
  check_orphans_reaped(pid, alog_);
  EXPECT_EQ(wait_exit(), 0);
  EXPECT_NE(first(events(alog_), "start", pid), nullptr);  // the app's parent is the supervisor
}

TEST_F(Supervisor, ReapsOrphansAsPid1) {
  XB_REQUIRE_ROOT("a PID namespace");
  pid_t pid = start({kInit, "-v", "--", kApp, "--log", alog_, "--orphans", "5", "--orphan-ms", "3000", "--sleep", "8000"},
                    true);
  ASSERT_GT(pid, 0) << "clone(CLONE_NEWPID): " << strerror(errno);
  check_orphans_reaped(pid, alog_);
  EXPECT_EQ(wait_exit(), 0);
  EXPECT_NE(first(events(alog_), "start", 1), nullptr) << "the supervisor was not PID 1";
  EXPECT_NE(stderr_text().find("reaped orphan"), std::string::npos);
}

// Whatever the app leaves behind is killed when it exits, so the container
// stops; as PID 1 (kill(-1)) and as a subreaper (our children, round by round).
TEST_F(Supervisor, KillsWhatTheAppLeftBehindAsSubreaper) {
  auto t0 = Clock::now();
  EXPECT_EQ(run({kInit, "--", kApp, "--log", alog_, "--orphans", "2", "--orphan-ms", "60000", "--exit", "4"}), 4);
  EXPECT_LT(Clock::now() - t0, 20s);
  auto orphans = named(alog_, "orphan");
  ASSERT_EQ(orphans.size(), 2u);
  for (auto &o : orphans) EXPECT_NE(kill(static_cast<pid_t>(o.value), 0), 0) << "orphan " << o.value << " survived";
  EXPECT_NE(stderr_text().find("killing 2 process(es) left"), std::string::npos);
}

TEST_F(Supervisor, KillsWhatTheAppLeftBehindAsPid1) {
  XB_REQUIRE_ROOT("a PID namespace");
  start({kInit, "--", kApp, "--log", alog_, "--orphans", "2", "--orphan-ms", "60000", "--exit", "4"}, true);
  EXPECT_EQ(wait_exit(), 4);  // would hang for 60 s if the orphans were left running
  EXPECT_LT(ms(exited_ns_ - started_ns_), 20000);
  EXPECT_EQ(named(alog_, "orphan").size(), 2u);
}

// A stopped app cannot act on SIGTERM: it gets SIGCONT too, and stops in time.
TEST_F(Supervisor, StoppedAppIsContinuedToHandleSigterm) {
  pid_t pid = start({kInit, "--stop-timeout", "60s", "--", kApp, "--log", alog_, "--catch", "--sleep", "-1"});
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  pid_t app = events(alog_)[0].pid;
  ASSERT_EQ(kill(app, SIGSTOP), 0);
  ASSERT_TRUE(wait_until([&] { return proc_state(app) == 'T'; }));
  // SIGTERM must come after the supervisor has read the SIGCHLD of the stop,
  // not in the same batch: wait until it has none queued and sleeps again.
  ASSERT_TRUE(wait_until([&] { return !sigchld_pending(pid) && proc_state(pid) == 'S'; }));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(10s), 0) << "the app stayed stopped";
  EXPECT_TRUE(has_event(alog_, "signal", SIGTERM));
}

// The app asks for a stop and stops itself at once: the SIGTERM and the
// SIGCHLD of the stop reach the supervisor in either order, in one read or
// two. Either way the app must be continued to handle the SIGTERM.
TEST_F(Supervisor, AppStoppedAroundTheSigtermIsContinued) {
  for (int round = 0; round < 5; ++round) {
    pid_t pid = start({kInit, "--stop-timeout", "60s", "--", kApp, "--log", alog_, "--catch", "--sleep", "-1",
                       "--signal-parent-then-stop", std::to_string(SIGTERM)});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(wait_exit(10s), 0) << "round " << round << ": the app stayed stopped";
    EXPECT_TRUE(has_event(alog_, "signal", SIGTERM)) << "round " << round;
    fs::remove(alog_);
  }
}

TEST_F(Supervisor, DaemonLogGetsTheDaemonsOutput) {
  std::string log = dir_ + "/daemon-out.log";
  EXPECT_EQ(run({kInit, "--daemon", "/bin/sh", "--daemon-arg", "-c", "--daemon-arg",
                 "echo hello-from-daemon; echo oops >&2; exec sleep 60", "--ready-udp", "none", "--flush-grace",
                 "300ms", "--daemon-log", log, "--", "/bin/sh", "-c",
                 // the app waits for the daemon's last line: a fixed sleep could stop the daemon before it
                 "i=0; until grep -q oops " + log + " || [ $i -ge 600 ]; do sleep 0.05; i=$((i+1)); done"}), 0);
  EXPECT_EQ(slurp(log), "hello-from-daemon\noops\n");
  EXPECT_EQ(stderr_text().find("hello-from-daemon"), std::string::npos);
}

// A daemon bound to the wildcard address, or over IPv6, counts as ready too.
TEST_F(Supervisor, ReadinessSeesWildcardAndIpv6Binds) {
  int port = free_udp_port();
  EXPECT_EQ(run(plus_app(with_daemon({"--bind", "0.0.0.0:" + std::to_string(port), "--bind-delay", "200"},
                                     {"--ready-udp", "127.0.0.1:" + std::to_string(port), "--ready-timeout", "15s"}),
                         {"--check-udp", std::to_string(port)})), 0);
  EXPECT_NE(stderr_text().find("daemon ready: 127.0.0.1:" + std::to_string(port)), std::string::npos);
  // ready-udp 0.0.0.0 (what the generator writes for a wildcard bind) accepts a loopback bind.
  port = free_udp_port();
  EXPECT_EQ(run(plus_app(with_daemon({"--bind", "127.0.0.1:" + std::to_string(port), "--bind-delay", "200"},
                                     {"--ready-udp", "0.0.0.0:" + std::to_string(port), "--ready-timeout", "15s"}),
                         {"--check-udp", std::to_string(port)})), 0);
  EXPECT_NE(stderr_text().find("daemon ready: 0.0.0.0:" + std::to_string(port)), std::string::npos);
  XB_REQUIRE(fs::exists("/proc/net/udp6"), "no IPv6 in this kernel");
  port = free_udp_port();
  std::string addr = "[::1]:" + std::to_string(port);
  EXPECT_EQ(run(plus_app(with_daemon({"--bind", addr, "--bind-delay", "200"}, {"--ready-udp", addr, "--ready-timeout", "15s"}),
                         {})), 0);
  EXPECT_NE(stderr_text().find("daemon ready: " + addr), std::string::npos);
}

// Writing our log to a closed pipe raises SIGPIPE in the supervisor itself:
// that one is not the app's business.
TEST_F(Supervisor, OwnSigpipeIsNotForwarded) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  close(p[0]);  // whoever read our stderr is gone
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 2);
    execl(kInit.c_str(), kInit.c_str(), "--", kApp.c_str(), "--log", alog_.c_str(), "--catch", "--sleep", "500",
          static_cast<char *>(nullptr));
    _exit(120);
  }
  close(p[1]);
  pid_ = pid;
  EXPECT_EQ(wait_exit(), 0);
  EXPECT_TRUE(has_event(alog_, "start"));
  EXPECT_FALSE(has_event(alog_, "signal", SIGPIPE)) << "our own SIGPIPE was forwarded";
}

TEST_F(Supervisor, StartsDaemonFirstAndAppOnceUdpIsBound) {
  int port = free_udp_port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  int code = run(plus_app(with_daemon({"--bind", addr, "--bind-delay", "400"}, {"--ready-udp", addr}),
                          {"--check-udp", std::to_string(port), "--exit", "3"}));
  EXPECT_EQ(code, 3);
  auto d = events(dlog_), a = events(alog_);
  ASSERT_TRUE(first(d, "start") && first(d, "bound") && first(a, "start") && first(a, "udp_taken"));
  EXPECT_LT(first(d, "start")->ns, first(d, "bound")->ns);
  EXPECT_LT(first(d, "start")->ns, first(a, "start")->ns);
  // "bound" is logged just after bind(): on a loaded machine the app may log its
  // start before that line lands, so the app's own bind check is the proof.
  EXPECT_EQ(first(a, "udp_taken")->value, 1) << "the app started before the daemon bound its port";
  EXPECT_NE(stderr_text().find("daemon ready: " + addr + " bound after"), std::string::npos);
}

TEST_F(Supervisor, ReadyTimeoutStartsTheAppWithAWarning) {
  int port = free_udp_port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(run(plus_app(with_daemon({}, {"--ready-udp", addr, "--ready-timeout", "300ms"}),
                         {"--check-udp", std::to_string(port)})), 0);
  auto d = events(dlog_), a = events(alog_);
  ASSERT_TRUE(first(d, "start") && first(a, "start"));
  EXPECT_LT(first(d, "start")->ns, first(a, "start")->ns);
  // The deadline runs from the supervisor's start, after started_ns_ (the
  // daemon's own "start" line comes after its exec, late on a loaded machine).
  EXPECT_GE(ms(first(a, "start")->ns - started_ns_), 300) << "the app did not wait for ready-timeout";
  EXPECT_EQ(first(a, "udp_taken")->value, 0);
  EXPECT_NE(stderr_text().find("warning: " + addr + " not bound after 300ms (ready-timeout); starting the app anyway"),
            std::string::npos);
}

TEST_F(Supervisor, ConfigFileSetsOptionsAndFlagsOverrideIt) {
  int port = free_udp_port();
  std::ofstream(dir_ + "/init.conf") << "# written by xraybake\n"
                                     << "daemon = " << kDaemon << "\n"
                                     << "daemon-arg = --log\n"
                                     << "daemon-arg = " << dlog_ << "\n"
                                     << "ready-udp = 127.0.0.1:" << port << "\n"
                                     << "ready-timeout = 60s   # overridden below\n"
                                     << "flush-grace = 1s\n\n  verbose = true\n"
                                     << "daemon-log = " << dir_ << "/out#1.log  # '#' in a value stays\n";
  auto t0 = Clock::now();
  EXPECT_EQ(run({kInit, "--config", dir_ + "/init.conf", "--ready-timeout=200ms", "--", kApp, "--log", alog_}), 0);
  EXPECT_LT(Clock::now() - t0, 20s);
  EXPECT_TRUE(has_event(dlog_, "start"));
  EXPECT_TRUE(has_event(alog_, "start"));
  EXPECT_NE(stderr_text().find("not bound after 200ms"), std::string::npos);
  EXPECT_NE(stderr_text().find("flush grace 1000ms"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ + "/out#1.log"));
}

TEST_F(Supervisor, RestartsAKilledDaemonWithBackoffAndLeavesTheAppAlone) {
  pid_t pid = start(plus_app(with_daemon({}, {"--ready-udp", "none", "--max-backoff", "400ms"}),
                             {"--catch", "--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  std::vector<long long> kills;
  for (size_t k = 1; k <= 4; k++) {
    ASSERT_TRUE(wait_until([&] { return named(dlog_, "start").size() == k; })) << "restart " << k;
    pid_t daemon = named(dlog_, "start").back().pid;
    kills.push_back(now_ns());
    ASSERT_EQ(kill(daemon, SIGKILL), 0);
  }
  ASSERT_TRUE(wait_until([&] { return named(dlog_, "start").size() == 5; }));
  auto starts = named(dlog_, "start");
  const long long expected[] = {100, 200, 400, 400};  // doubling, capped by max-backoff
  for (int k = 0; k < 4; k++) {
    EXPECT_GE(ms(starts[k + 1].ns - kills[k]), expected[k] - 5) << "restart " << k + 1;
    EXPECT_NE(stderr_text().find("was killed by SIGKILL after"), std::string::npos);
    EXPECT_NE(stderr_text().find("restarting in " + std::to_string(expected[k]) + "ms"), std::string::npos);
    std::string line = "restarted daemon " + kDaemon + " (pid " + std::to_string(starts[k + 1].pid) + ", restart " +
                       std::to_string(k + 1) + ")";  // may be written just after the daemon's own start
    EXPECT_TRUE(wait_until([&] { return stderr_text().find(line) != std::string::npos; }, 5s)) << line;
  }
  auto a = named(alog_, "start");
  ASSERT_EQ(a.size(), 1u) << "the app restarted";
  EXPECT_TRUE(named(alog_, "signal").empty()) << "the app got a signal";
  EXPECT_EQ(kill(a[0].pid, 0), 0) << "the app is not running";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 0);
}

// The stop sequence: the app gets the signal first; the daemon gets SIGTERM
// only after the app has exited, and its flush completes.
class StopOrder : public Supervisor, public ::testing::WithParamInterface<int> {};

TEST_P(StopOrder, AppStopsFirstThenTheDaemonFlushes) {
  int sig = GetParam();
  int port = free_udp_port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  pid_t pid = start(plus_app(with_daemon({"--bind", addr, "--flush", "300"}, {"--ready-udp", addr}),
                             {"--catch", "--term-delay", "300", "--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  long long t0 = now_ns();
  ASSERT_EQ(kill(pid, sig), 0);
  EXPECT_EQ(wait_exit(), 0);
  auto a = events(alog_), d = events(dlog_);
  ASSERT_TRUE(first(a, "signal", sig) && first(a, "exit")) << slurp(alog_);
  ASSERT_TRUE(first(d, "signal", SIGTERM) && first(d, "exit")) << slurp(dlog_);
  EXPECT_GE(first(a, "signal", sig)->ns, t0);
  EXPECT_GE(first(d, "signal", SIGTERM)->ns, first(a, "exit")->ns) << "the daemon was stopped before the app exited";
  EXPECT_EQ(named(dlog_, "signal").size(), 1u) << "the daemon got more than one signal";
  EXPECT_GE(exited_ns_, first(d, "exit")->ns);
  EXPECT_EQ(stderr_text().find("still running"), std::string::npos);
}
INSTANTIATE_TEST_SUITE_P(Supervisor, StopOrder, ::testing::Values(SIGTERM, SIGINT));

TEST_F(Supervisor, AppExitingByItselfStopsTheDaemonAfterIt) {
  EXPECT_EQ(run(plus_app(with_daemon({"--flush", "200"}, {"--ready-udp", "none"}), {"--sleep", "300", "--exit", "7"})), 7);
  auto a = events(alog_), d = events(dlog_);
  ASSERT_TRUE(first(a, "exit") && first(d, "signal", SIGTERM) && first(d, "exit"));
  EXPECT_GE(first(d, "signal", SIGTERM)->ns, first(a, "exit")->ns);
  EXPECT_GE(exited_ns_, first(d, "exit")->ns);
}

TEST_F(Supervisor, DaemonIgnoringTermGetsSigkillAfterFlushGrace) {
  EXPECT_EQ(run(plus_app(with_daemon({"--ignore-term"}, {"--ready-udp", "none", "--flush-grace", "500ms"}),
                         {"--sleep", "200"})), 0);
  auto a = events(alog_), d = events(dlog_);
  ASSERT_TRUE(first(a, "exit") && first(d, "signal", SIGTERM));
  EXPECT_EQ(first(d, "exit"), nullptr);
  // SIGTERM goes out once the app is reaped, SIGKILL flush-grace later. (The
  // daemon's own "signal" line can be late by a scheduling delay: no reference.)
  EXPECT_GE(ms(exited_ns_ - first(a, "exit")->ns), 500);
  EXPECT_NE(kill(first(d, "start")->pid, 0), 0) << "the daemon survived";
  EXPECT_NE(stderr_text().find("still running after the flush grace: SIGKILL"), std::string::npos);
}

TEST_F(Supervisor, AppIgnoringTermIsKilledInTimeForTheDaemonsFlush) {
  pid_t pid = start(plus_app(with_daemon({"--flush", "500"}, {"--ready-udp", "none", "--stop-timeout", "4s", "--flush-grace", "1500ms"}),
                             {"--catch", "--ignore-term", "--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }));
  long long t0 = now_ns();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 128 + SIGKILL);
  auto d = events(dlog_);
  ASSERT_TRUE(first(d, "signal", SIGTERM) && first(d, "exit")) << "the daemon did not get its flush";
  // The app's share: 4s - 1.5s flush - 0.2s margin.
  EXPECT_GE(ms(first(d, "signal", SIGTERM)->ns - t0), 2200);
  EXPECT_LT(ms(exited_ns_ - t0), 4000) << "the stop took longer than stop-timeout";
  EXPECT_NE(stderr_text().find("still running after 2300ms: SIGKILL"), std::string::npos);
}

TEST_F(Supervisor, SigtermDuringStartupStartsNothingMore) {
  pid_t pid = start(plus_app(with_daemon({}, {"--ready-timeout", "20s"}), {}));
  ASSERT_TRUE(wait_until([&] { return has_event(dlog_, "start"); }));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 143);
  EXPECT_FALSE(fs::exists(alog_)) << "the app was started";
  EXPECT_TRUE(has_event(dlog_, "signal", SIGTERM));
  EXPECT_TRUE(has_event(dlog_, "exit"));
  EXPECT_NE(stderr_text().find("received SIGTERM during start-up: not starting the app"), std::string::npos);
}

// Any other signal is kept, and delivered once the app catches, blocks or
// ignores it (so a SIGHUP does not kill an app about to handle it)...
TEST_F(Supervisor, OtherSignalsDuringStartupReachTheApp) {
  int port = free_udp_port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  // The daemon binds after 2 s: time enough for the signals to land during
  // start-up even when this thread is scheduled late.
  pid_t pid = start(plus_app(with_daemon({"--bind", addr, "--bind-delay", "2000"},
                                         {"--ready-udp", addr, "--ready-timeout", "30s"}),
                             {"--catch", "--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(dlog_, "start"); }));
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  EXPECT_TRUE(wait_until([&] { return has_event(alog_, "signal", SIGUSR1) && has_event(alog_, "signal", SIGHUP); }));
  EXPECT_FALSE(has_event(dlog_, "signal")) << "the daemon got a signal meant for the app";
  auto a = events(alog_);
  ASSERT_TRUE(first(a, "start") && first(a, "signal", SIGUSR1));
  EXPECT_LT(ms(first(a, "signal", SIGUSR1)->ns - first(a, "start")->ns), 15000) << "waited for ready-timeout (30s)";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 0);
  EXPECT_NE(stderr_text().find("forwarding SIGUSR1 received during start-up"), std::string::npos);
}

// ...or after ready-timeout when the app never does: SIGUSR1 then kills it.
TEST_F(Supervisor, SignalsDuringStartupGoToAnAppThatNeverCatchesThemAfterReadyTimeout) {
  // Nobody binds the ready address: the app starts after ready-timeout, and the
  // signal is held for another ready-timeout, so from before the supervisor
  // started to its exit at least twice that passed. (The app's own "start" line
  // is no reference: it comes after its exec, late on a loaded machine.)
  std::string addr = "127.0.0.1:" + std::to_string(free_udp_port());
  pid_t pid = start(plus_app(with_daemon({}, {"--ready-udp", addr, "--ready-timeout", "2s"}), {"--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(dlog_, "start"); }));
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  EXPECT_EQ(wait_exit(), 128 + SIGUSR1);
  auto a = events(alog_), d = events(dlog_);
  ASSERT_TRUE(first(a, "start") && first(d, "start"));
  EXPECT_NE(stderr_text().find("forwarding SIGUSR1 received during start-up"), std::string::npos)
      << "the signal did not arrive during start-up";
  EXPECT_GE(ms(exited_ns_ - started_ns_), 4000) << "delivered before the app could take it";
  auto ds = named(dlog_, "signal");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].value, SIGTERM);
}

// An agent like the ADOT collector: its UDP and TCP receivers come up, and
// its health check answers 503 before 200. The app starts only once every
// probe holds; the stop order is the usual one: app, then the agent's flush.
TEST_F(Supervisor, AppWaitsForEveryProbeThenStopsBeforeTheAgent) {
  int udp = free_udp_port(), tcp = free_tcp_port();
  std::string u = "127.0.0.1:" + std::to_string(udp), t = "127.0.0.1:" + std::to_string(tcp);
  std::string health = "http://" + t + "/health";
  pid_t pid = start(plus_app(with_daemon({"--bind", u, "--bind-delay", "100", "--listen", t, "--listen-delay", "300",
                                          "--http-200-after", "1500", "--flush", "300"},
                                         {"--ready", "udp:" + u, "--ready", "tcp:" + t, "--ready", health,
                                          "--ready-timeout", "60s", "--stop-timeout", "30s", "--flush-grace", "10s"}),
                             {"--check-udp", std::to_string(udp), "--catch", "--term-delay", "300", "--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }, 60s));
  auto d = events(dlog_), a = events(alog_);
  ASSERT_TRUE(first(d, "healthy") && first(d, "http", 200) && first(a, "start") && first(a, "udp_taken"));
  EXPECT_GT(first(a, "start")->ns, first(d, "healthy")->ns) << "the app started before the health check answered 200";
  EXPECT_EQ(first(a, "udp_taken")->value, 1);
  // It asked before the agent was healthy, with a backoff, not in a busy loop
  // (about 35 requests in 1.2 s; one every 5 ms would be 240).
  EXPECT_GE(count(d, "http", 503), 1u);
  EXPECT_LT(count(d, "http", 503), 120u);
  std::string text = stderr_text();
  EXPECT_NE(text.find("daemon ready: udp:" + u + " bound after"), std::string::npos) << text;
  EXPECT_NE(text.find("daemon ready: tcp:" + t + " listening after"), std::string::npos) << text;
  EXPECT_NE(text.find("daemon ready: " + health + " answering 200 after"), std::string::npos) << text;
  EXPECT_EQ(text.find("127.0.0.1:2000"), std::string::npos) << "waited for the default ready-udp too";

  long long t0 = now_ns();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 0);
  a = events(alog_), d = events(dlog_);
  ASSERT_TRUE(first(a, "signal", SIGTERM) && first(a, "exit")) << slurp(alog_);
  ASSERT_TRUE(first(d, "signal", SIGTERM) && first(d, "exit")) << slurp(dlog_);
  EXPECT_GE(first(d, "signal", SIGTERM)->ns, first(a, "exit")->ns) << "the agent was stopped before the app exited";
  EXPECT_EQ(named(dlog_, "signal").size(), 1u) << "the agent got more than one signal";
  EXPECT_GE(exited_ns_, first(d, "exit")->ns) << "exited before the agent's flush";
  EXPECT_LT(ms(exited_ns_ - t0), 30000) << "the stop took longer than stop-timeout";
  EXPECT_EQ(stderr_text().find("still running"), std::string::npos);
}

// After ready-timeout each probe that did not hold is named, with why.
TEST_F(Supervisor, ReadyTimeoutNamesEachProbeThatDidNotHold) {
  int udp = free_udp_port(), tcp = free_tcp_port();
  std::string u = "udp:127.0.0.1:" + std::to_string(udp), t = "127.0.0.1:" + std::to_string(tcp);
  std::string health = "http://" + t + "/";
  EXPECT_EQ(run(plus_app(with_daemon({"--listen", t, "--http-200-after", "600000"},
                                     {"--ready", u, "--ready", "tcp:" + t, "--ready", health, "--ready-timeout", "3s"}),
                         {"--exit", "5"})), 5);
  std::string text = stderr_text();
  EXPECT_NE(text.find("warning: " + u + " not bound after 3000ms (ready-timeout); starting the app anyway"),
            std::string::npos) << text;
  EXPECT_NE(text.find("warning: " + health + " not answering 200 (status 503) after 3000ms (ready-timeout)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("daemon ready: tcp:" + t + " listening"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning: tcp:"), std::string::npos) << text;
  auto a = events(alog_);
  ASSERT_TRUE(first(a, "start"));
  EXPECT_GE(ms(first(a, "start")->ns - started_ns_), 3000);
}

TEST_F(Supervisor, BadProbesAreRefused) {
  for (const char *bad : {"udp:", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:127.0.0.1:70000", "tcp:127.0.0.1:8x",
                          "ftp://127.0.0.1:21/", "http://127.0.0.1/", "http://example.com:80/", "tcp:db:5432",
                          "http://127.0.0.1:80/a b", "http://127.0.0.1:80/a\r\nX: y", "127.0.0.1:2000", "",
                          "https://127.0.0.1:443/"}) {
    fs::remove(err_);
    EXPECT_EQ(run({kInit, "--ready", bad, "--", kApp}), 2) << bad;
    EXPECT_NE(stderr_text().find("--ready: bad probe '" + std::string(bad) + "'"), std::string::npos) << stderr_text();
  }
  std::ofstream(dir_ + "/init.conf") << "ready = tcp:127.0.0.1:4317\nready = tcp:nowhere:1\n";
  EXPECT_EQ(run({kInit, "--config", dir_ + "/init.conf", "--", kApp}), 2);
  EXPECT_NE(stderr_text().find(dir_ + "/init.conf:2: ready: bad probe 'tcp:nowhere:1'"), std::string::npos);
  for (const char *good : {"udp:127.0.0.1:2000", "udp:[::1]:2000", "udp::2000", "tcp:0.0.0.0:2000",
                           "tcp:localhost:2000", "http://127.0.0.1:13133", "http://[::1]:13133/health?x=1", "none"})
    EXPECT_EQ(run({kInit, "-q", "--ready", good, "--", kApp}), 0) << good << ": " << stderr_text();
}

// The command line's --ready list replaces the file's (like daemon-arg), and
// with any --ready the default ready-udp (127.0.0.1:2000) is not waited for.
TEST_F(Supervisor, CommandLineProbesReplaceTheFilesAndTheDefault) {
  int tcp = free_tcp_port();
  std::string t = "127.0.0.1:" + std::to_string(tcp);
  std::ofstream(dir_ + "/init.conf") << "ready = udp:127.0.0.1:" << free_udp_port() << "\nready-timeout = 60s\n";
  auto argv = with_daemon({"--listen", t}, {"--config", dir_ + "/init.conf", "--ready", "tcp:" + t});
  auto t0 = Clock::now();
  EXPECT_EQ(run(plus_app(argv, {})), 0);
  EXPECT_LT(Clock::now() - t0, 30s) << "waited for the file's probe";
  EXPECT_NE(stderr_text().find("daemon ready: tcp:" + t + " listening"), std::string::npos);
  EXPECT_EQ(stderr_text().find("warning"), std::string::npos) << stderr_text();
  // ready-udp given explicitly is one more probe, as in images built before --ready.
  fs::remove(err_);
  int udp = free_udp_port();
  std::string u = "127.0.0.1:" + std::to_string(udp);
  EXPECT_EQ(run(plus_app(with_daemon({"--listen", t, "--bind", u, "--bind-delay", "300"},
                                     {"--ready-udp", u, "--ready", "tcp:" + t, "--ready-timeout", "60s"}),
                         {"--check-udp", std::to_string(udp)})), 0);
  auto a = events(alog_);
  ASSERT_TRUE(first(a, "udp_taken"));
  EXPECT_EQ(first(a, "udp_taken")->value, 1) << "ready-udp was not waited for";
  EXPECT_NE(stderr_text().find("daemon ready: " + u + " bound"), std::string::npos);
}

// The image's health check: the probes of init.conf, once, starting nothing.
TEST_F(Supervisor, CheckExitsZeroOnlyWhenEveryProbeHolds) {
  int udp = free_udp_port(), tcp = free_tcp_port();
  std::string u = "127.0.0.1:" + std::to_string(udp), t = "127.0.0.1:" + std::to_string(tcp);
  std::string conf = dir_ + "/init.conf";
  std::ofstream(conf) << "daemon = " << kDaemon << "\ndaemon-arg = --log\ndaemon-arg = " << dlog_ << "\n"
                      << "ready = udp:" << u << "\nready = tcp:" << t << "\nready = http://" << t << "/\n";
  EXPECT_EQ(run({kInit, "--config", conf, "--check"}), 1);
  EXPECT_EQ(stderr_text(), "xraybake-init: not ready: udp:" + u + " not bound\n");
  EXPECT_FALSE(fs::exists(dlog_)) << "--check started the daemon";

  std::string agent_log = dir_ + "/agent.log";
  Background agent({kDaemon, "--log", agent_log, "--bind", u, "--listen", t, "--http-200-after", "5000"});
  ASSERT_TRUE(wait_until([&] { return has_event(agent_log, "listening"); }));
  fs::remove(err_);
  int code = run({kInit, "--config", conf, "--check"});
  if (!has_event(agent_log, "healthy")) {  // (a test thread starved for 5 s would see it healthy)
    EXPECT_EQ(code, 1);
    EXPECT_EQ(stderr_text(), "xraybake-init: not ready: http://" + t + "/ not answering 200 (status 503)\n");
  }
  EXPECT_TRUE(wait_until([&] { return run({kInit, "-q", "--config", conf, "--check"}) == 0; }, 30s)) << stderr_text();
  EXPECT_FALSE(fs::exists(dlog_)) << "--check started the daemon";
  EXPECT_EQ(run({kInit, "--config", conf, "--check", "--", kApp}), 2);
  EXPECT_NE(stderr_text().find("--check starts nothing"), std::string::npos);
  std::ofstream(conf, std::ios::app) << "check\n";
  EXPECT_EQ(run({kInit, "--config", conf, "--check"}), 2);
  EXPECT_NE(stderr_text().find("unknown key 'check'"), std::string::npos);
}

// RUN_IN_CONTAINER=True, GOMEMLIMIT=...: the daemon's environment, not the app's.
TEST_F(Supervisor, DaemonEnvReachesOnlyTheDaemon) {
  std::string dout = dir_ + "/daemon.out", aout = dir_ + "/app.out";
  std::ofstream(dir_ + "/init.conf") << "daemon-env = XB_ONE=from file\ndaemon-env = XB_TWO=overridden\n";
  EXPECT_EQ(run({kInit, "--config", dir_ + "/init.conf", "--daemon-env", "XB_TWO=a=b", "--daemon", "/bin/sh",
                 "--daemon-arg", "-c", "--daemon-arg", "echo \"$XB_ONE|$XB_TWO\"; exec sleep 60", "--daemon-log", dout,
                 "--ready-udp", "none", "--flush-grace", "300ms", "--", "/bin/sh", "-c",
                 // the app waits for the daemon's line (it would stop the daemon before it ran)
                 "i=0; while [ ! -s " + dout + " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; " +
                     "echo \"${XB_ONE-unset}|${XB_TWO-unset}\" > " + aout}), 0);
  EXPECT_EQ(slurp(dout), "from file|a=b\n");
  EXPECT_EQ(slurp(aout), "unset|unset\n");
  for (const char *bad : {"=x", "NOVALUE", ""}) {
    EXPECT_EQ(run({kInit, "--daemon-env", bad, "--", kApp}), 2) << bad;
    EXPECT_NE(stderr_text().find("--daemon-env: expected KEY=VALUE, got '" + std::string(bad) + "'"), std::string::npos);
  }
}

TEST_F(Supervisor, NoWakeUpsWhileIdle) {
  int port = free_udp_port();
  std::string addr = "127.0.0.1:" + std::to_string(port);
  pid_t pid = start(plus_app(with_daemon({"--bind", addr}, {"--ready-udp", addr}), {"--sleep", "-1"}));
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "start"); }));
  // Let it finish starting the app (however long a loaded machine makes that):
  // settled once 300 ms pass without a context switch.
  ASSERT_TRUE(wait_until([&] {
    long n = ctxt_switches(pid);
    std::this_thread::sleep_for(300ms);
    return ctxt_switches(pid) == n;
  }, 20s)) << "the supervisor never went idle";
  long before = ctxt_switches(pid);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(ctxt_switches(pid), before) << "the idle supervisor woke up";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(), 143);
}

TEST_F(Supervisor, Arm64BinaryRunsUnderQemu) {
  XB_REQUIRE_TOOL("qemu-aarch64-static", "qemu-user-static");
  const std::string qemu = "/usr/bin/qemu-aarch64-static";
  const std::string init = XB_INIT_ARM64, app = XB_FAKE_APP_ARM64;
  EXPECT_EQ(run({qemu, init, "--version"}), 0);
  EXPECT_NE(stderr_text().find("xraybake-init 0.1"), std::string::npos);
  // No binfmt_misc here: the arm64 supervisor runs the arm64 app through qemu too.
  EXPECT_EQ(run({qemu, init, "--", qemu, app, "--exit", "42"}), 42);
  EXPECT_EQ(run({qemu, init, "--", qemu, app, "--raise", "10"}), 128 + SIGUSR1);
  pid_t pid = start({qemu, init, "--", qemu, app, "--log", alog_, "--catch", "--sleep", "-1"});
  ASSERT_TRUE(wait_until([&] { return has_event(alog_, "catching"); }, 20s));
  ASSERT_EQ(kill(pid, SIGUSR2), 0);
  // Under qemu-user /proc shows qemu's signal dispositions, not the app's, so a
  // signal this early may be held for ready-timeout: wait well past it.
  EXPECT_TRUE(wait_until([&] { return has_event(alog_, "signal", SIGUSR2); }, 40s));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(60s), 0);
}

}  // namespace
