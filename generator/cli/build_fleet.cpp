#include "cli/build_fleet.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "build/fleet_store.h"
#include "descriptor/descriptor.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace xb::cli {

namespace {

using json = nlohmann::ordered_json;

struct Service {
  std::string file;
  std::string name;  // service.name, or the file when it does not load
  std::string out;   // OUT/<name>
  std::optional<Error> load_error;
  size_t loaded = 0;  // its Descriptor in run_fleet's `loaded`, when it loaded
  // After the build:
  int exit_code = 0;
  double seconds = 0;
  json doc;          // the child's --json document, or {"error": ...}
  std::string err;   // the child's stderr
  // Services that take the same agent .deb: the first (the leader) is built
  // before the others start, so that they link its agent layer (build/fleet_store.h).
  std::string agent_key;
  bool leader = false;
};

// What a service's agent layer is made from, as far as its descriptor says:
// services with the same key take the same .deb (a different one only costs
// its build the time of making its own layer).
std::string agent_key(const Descriptor& d) {
  const AgentBasics& b = agent_basics(d);
  std::string key = agent_kind(d) + "\n" + b.version + "\n" + b.url + "\n" +
                    std::string(oci::compression_info(d.service.compression).name);
  for (const auto& p : d.service.platforms) key += "\n" + p;
  for (const auto& [arch, sha] : b.sha256) key += "\n" + arch + "=" + sha;
  return key;
}

// SIGTERM, SIGINT or SIGHUP to the fleet (a CI job cancelled, a pod
// stopped) reaches every build that is running: each child's pid sits in a
// slot while it runs, and the handler kill()s what it finds there (atomics
// and kill(2) only: async-signal-safe). No service starts after it.
std::atomic<pid_t>* g_children = nullptr;
size_t g_child_slots = 0;
std::atomic<int> g_stop_signal{0};
constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP};

extern "C" void forward_to_builds(int sig) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, sig);
  for (size_t i = 0; i < g_child_slots; ++i)
    if (pid_t pid = g_children[i].load(); pid > 0) ::kill(pid, sig);
}

// Installs the forwarder for as long as it lives; then the old dispositions.
class ForwardSignals {
 public:
  explicit ForwardSignals(std::atomic<pid_t>* slots, size_t n) {
    g_children = slots;
    g_child_slots = n;
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = forward_to_builds;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kForwarded); ++i)
      if (::sigaction(kForwarded[i], &sa, &old_[i]) != 0)
        fail_runtime(std::string("cannot handle signals: ") + std::strerror(errno));
  }
  ~ForwardSignals() {
    for (size_t i = 0; i < std::size(kForwarded); ++i) ::sigaction(kForwarded[i], &old_[i], nullptr);
    g_child_slots = 0;
    g_children = nullptr;
  }
  ForwardSignals(const ForwardSignals&) = delete;
  ForwardSignals& operator=(const ForwardSignals&) = delete;

 private:
  struct sigaction old_[std::size(kForwarded)] {};
};

// A build's DurableHook (util/fs.h): asks the fleet through GATE to sync OUT's
// file system (device DEV) and waits until it has. False when the fleet can
// not (another file system, the fleet gone, its sync failed): the build syncs.
bool synced_by_fleet(int gate, dev_t dev, const fs::path& staged) {
  struct stat st {};
  if (::stat(staged.c_str(), &st) != 0 || st.st_dev != dev) return false;
  char c = 'R';
  if (::send(gate, &c, 1, MSG_NOSIGNAL) != 1) return false;
  ssize_t n;
  while ((n = ::recv(gate, &c, 1, 0)) < 0 && errno == EINTR) {
  }
  return n == 1 && c == 'S';
}

// A build's fleet_wait (build/fleet_store.h): tells the fleet through GATE
// that it waits for its agent's layers, and waits until the fleet lets it
// go on (or is gone).
void let_go_by_fleet(int gate) {
  char c = 'W';
  if (::send(gate, &c, 1, MSG_NOSIGNAL) != 1) return;
  while (::recv(gate, &c, 1, 0) < 0 && errno == EINTR) {
  }
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// The first line of the child's error, for the one line per service.
std::string error_line(const Service& s) {
  if (s.doc.contains("error")) return s.doc["error"].value("message", std::string("failed"));
  return "the build ended with status " + std::to_string(s.exit_code);
}

std::string index_digest(const Service& s) {
  if (s.doc.contains("push")) return s.doc["push"].value("digest", std::string());
  if (s.doc.contains("image")) return s.doc["image"]["index"].value("digest", std::string());
  return "";
}

// One line as a service ends: what CI logs keep.
std::string end_line(const Service& s) {
  if (s.exit_code != 0) return s.name + ": FAILED" + (s.name == s.file ? "" : " (" + s.file + ")") + ": " + error_line(s);
  std::string d = index_digest(s);
  return s.name + ": built in " + seconds_text(s.seconds) + " into " + s.out + "/" + (d.empty() ? "" : "  " + d);
}

// The child's stderr, each line under the service's name (as docker compose
// does): all of it for a failure or with -v, else its warnings only (the
// progress of 50 builds is noise; a deprecation is not).
void print_child_stderr(const Service& s) {
  const bool all = s.exit_code != 0 || log::level() == log::Level::verbose;
  size_t at = 0;
  while (at < s.err.size()) {
    size_t nl = s.err.find('\n', at);
    if (nl == std::string::npos) nl = s.err.size();
    std::string line = s.err.substr(at, nl - at);
    if (all || line.starts_with("warning: ") || line.find(": warning: ") != std::string::npos)
      std::cerr << s.name << " | " << line << "\n";
    at = nl + 1;
  }
}

void print_table(const std::vector<Service>& services, double total) {
  size_t w = 7;
  for (const auto& s : services) w = std::max(w, s.name.size());
  std::string pad(w - 7, ' ');
  std::cerr << "\nSERVICE" << pad << "  RESULT  TIME      IMAGE\n";
  size_t failed = 0;
  for (const auto& s : services) {
    std::string t = seconds_text(s.seconds);
    std::cerr << s.name << std::string(w - s.name.size(), ' ') << "  " << (s.exit_code ? "FAILED" : "built ") << "  "
              << t << std::string(t.size() < 8 ? 8 - t.size() : 0, ' ') << "  "
              << (s.exit_code ? (s.name == s.file ? "" : s.file + ": ") + error_line(s) : index_digest(s) + "  " + s.out + "/")
              << "\n";
    failed += s.exit_code != 0;
  }
  std::cerr << services.size() - failed << " built, " << failed << " failed in " << seconds_text(total) << "\n";
}

}  // namespace

void run_fleet(const FleetRequest& request, const GlobalOptions& global) {
  const auto started = std::chrono::steady_clock::now();
  // OUT holds the services; a single build's output is not a place for them.
  if (fs::exists(fs::path(request.out) / "build.json"))
    fail_input(request.out + " is the output of a single build (it holds build.json); several services each go "
                             "to OUT/<service.name>/",
               "give another -o, or remove " + request.out + " first");

  // Each descriptor read here first: its name places it, and two naming one service would collide.
  std::vector<Service> services;
  std::vector<Descriptor> loaded;
  std::map<std::string, std::string> by_name;
  for (const auto& f : request.files) {
    Service s;
    s.file = f;
    s.name = f;
    try {
      Descriptor d = agents::load_descriptor(f);
      s.name = d.service.name;
      s.out = (fs::path(request.out) / d.service.name).string();
      s.agent_key = agent_key(d);
      s.loaded = loaded.size();
      loaded.push_back(std::move(d));
    } catch (const Error& e) {
      s.load_error = e;
    }
    if (!s.load_error)
      if (auto [it, fresh] = by_name.emplace(s.name, f); !fresh)
        fail_input(it->second + " and " + f + " both name the service " + s.name +
                       ", and each service goes to OUT/<service.name>/",
                   "give each service its own service.name");
    services.push_back(std::move(s));
  }
  std::error_code ec;
  fs::create_directories(request.out, ec);
  if (ec) fail_runtime("cannot create " + request.out + ": " + ec.message());
  // Leaders first, in FILES' order; each other service once its leader has ended.
  std::map<std::string, bool> leader_done;  // ended, or staged all it made
  for (auto& s : services)
    if (!s.load_error && !leader_done.count(s.agent_key)) {
      leader_done[s.agent_key] = false;
      s.leader = true;
    }
  std::vector<size_t> order;
  for (size_t i = 0; i < services.size(); ++i)
    if (services[i].leader) order.push_back(i);
  for (size_t i = 0; i < services.size(); ++i)
    if (!services[i].leader) order.push_back(i);
  // What the builds share: a directory of this fleet's own in OUT (mode 0700),
  // gone when they have ended (their OUTs keep hard links of what they took).
  std::string store = (fs::path(request.out) / ".xraybake-fleet-XXXXXX").string();
  if (::mkdtemp(store.data()) == nullptr) {
    log::warn("cannot create a directory in " + request.out + " for what the builds share (" + std::strerror(errno) +
              "): each makes its own layers");
    store.clear();
  }
  build::set_fleet_store(store);
  struct RemoveStore {
    std::string dir;
    void now() {
      std::error_code ignored;
      if (!dir.empty()) fs::remove_all(dir, ignored);
      dir.clear();
      build::set_fleet_store({});
    }
    ~RemoveStore() { now(); }
  } remove_store{store};
  if (request.before_builds) request.before_builds(loaded);
  // OpenSSL loads its provider on the first digest: once here, not in every
  // build; so with the directories no output may replace.
  (void)sha256_hex("");
  resolve_protected_dirs();

  unsigned jobs = request.jobs ? request.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(services.size()));
  const bool table = log::interactive() && log::level() >= log::Level::normal;
  size_t ended = 0;
  auto finish = [&](Service& s) {
    ++ended;
    if (log::level() >= log::Level::normal || s.exit_code != 0) {
      if (table) std::cerr << "[" << ended << "/" << services.size() << "] ";
      std::cerr << end_line(s) << "\n";
    }
    print_child_stderr(s);
  };
  // The syncer: a process of the fleet's own that syncs OUT's file system
  // when asked (a byte in, 'S' or 'F' out), so that this loop never waits for
  // a journal commit while builds wait to be forked or read (group_commit
  // below). None when OUT can not be opened or it can not start: each build
  // then syncs itself.
  struct Syncer {
    pid_t pid = -1;
    int fd = -1;
    dev_t dev = 0;  // OUT's file system
    void stop() {
      if (fd >= 0) ::close(fd);  // it ends at EOF
      fd = -1;
      if (pid > 0) (void)wait_exit_status(pid);
      pid = -1;
    }
    ~Syncer() { stop(); }
  } syncer;
  if (int out_fd = ::open(request.out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); out_fd >= 0) {
    struct stat st {};
    int sv[2];
    if (::fstat(out_fd, &st) == 0 && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
      try {
        ForkedChild f = fork_child(
            [out_fd, fd = sv[1]] {
              ::prctl(PR_SET_NAME, "xraybake-sync");  // what ps shows: not one of the builds
              for (char c;;) {
                ssize_t n = ::recv(fd, &c, 1, 0);
                if (n < 0 && errno == EINTR) continue;
                if (n != 1) return 0;
                c = ::syncfs(out_fd) == 0 ? 'S' : 'F';
                if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) return 0;
              }
            },
            {sv[0]});
        ::close(f.out);  // it writes nothing
        ::close(f.err);
        syncer.pid = f.pid;
        syncer.fd = sv[0];
        syncer.dev = st.st_dev;
      } catch (const Error& e) {
        log::verbose(std::string("each build syncs its own output: ") + e.what());
        ::close(sv[0]);
      }
      ::close(sv[1]);
    }
    ::close(out_fd);
  }

  // One thread: it forks the builds (a fork of a threaded process keeps only
  // the forking thread, and whatever locks the others held), reads their
  // output, syncs for them and reaps them.
  struct Child {
    size_t service = 0;
    pid_t pid = -1;
    int fd[2] = {-1, -1};  // stdout, stderr; -1 once closed
    int gate = -1;         // the fleet's end of its commit socket (group_commit); -1 once closed
    bool early = false;    // started before its agent's first build made the layers, not yet let go on
    bool held = false;     // waits for that (said so): not one of the -j builds
    bool staged = false;   // asked for the sync: no longer one of the -j builds
    bool in_round = false; // the syncer is syncing for it
    bool synced = false;
    std::string text[2];
    std::chrono::steady_clock::time_point t0;
  };
  std::list<Child> children;
  // A running build's pid in its service's slot, for the signal forwarder.
  std::unique_ptr<std::atomic<pid_t>[]> slots(new std::atomic<pid_t>[services.size()]);
  for (size_t i = 0; i < services.size(); ++i) slots[i] = 0;
  std::optional<ForwardSignals> forwarding;
  forwarding.emplace(slots.get(), services.size());
  std::vector<bool> begun(services.size(), false);
  // Builds may start before the first build of their agent has made its
  // layers (while it runs, a core is mostly idle): they write what does not
  // need the agent, then wait (fleet_wait) until it has; at most this many.
  constexpr size_t kEarlyAtMost = 64;
  // Starts the next service that needs a build (and ends those that need
  // none); false when none can start now.
  auto start = [&]() {
    for (size_t i : order) {
      if (begun[i]) continue;
      Service& s = services[i];
      const bool early = !s.leader && !s.load_error && !leader_done[s.agent_key] && !g_stop_signal.load();
      if (early && (syncer.fd < 0 || std::count_if(children.begin(), children.end(), [](const Child& c) {
                                       return c.early;
                                     }) >= static_cast<std::ptrdiff_t>(kEarlyAtMost)))
        continue;
      begun[i] = true;
      if (int sig = g_stop_signal.load()) {
        s.exit_code = 128 + sig;
        s.doc = {{"error", {{"message", "not built: the fleet was stopped by " + signal_name(sig)},
                            {"exit_code", s.exit_code}}}};
        finish(s);
      } else if (s.load_error) {
        s.exit_code = static_cast<int>(s.load_error->code());
        s.doc = error_json(*s.load_error);
        s.err = error_text(*s.load_error);
        finish(s);
      } else {
        int gate[2] = {-1, -1};
        if (syncer.fd >= 0 && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) != 0) gate[0] = gate[1] = -1;
        std::vector<int> others;  // the fleet's ends of every build's pipes and the syncer's: not this child's
        for (const auto& c : children)
          for (int fd : {c.fd[0], c.fd[1], c.gate})
            if (fd >= 0) others.push_back(fd);
        for (int fd : {gate[0], syncer.fd})
          if (fd >= 0) others.push_back(fd);
        Child c;
        c.service = i;
        c.t0 = std::chrono::steady_clock::now();
        const int child_gate = gate[1];
        const dev_t dev = syncer.dev;
        ForkedChild f = fork_child(
            [&] {
              if (child_gate >= 0)
                set_durable_hook([child_gate, dev](const fs::path& staged) { return synced_by_fleet(child_gate, dev, staged); });
              if (early && child_gate >= 0) build::set_fleet_wait([child_gate] { let_go_by_fleet(child_gate); });
              return request.build(loaded[s.loaded], s.file, s.out);
            },
            others);
        if (gate[1] >= 0) ::close(gate[1]);
        slots[i] = f.pid;
        if (int sig = g_stop_signal.load()) ::kill(f.pid, sig);  // the signal came while it was forked
        c.pid = f.pid;
        c.fd[0] = f.out;
        c.fd[1] = f.err;
        c.gate = gate[0];
        c.early = early && gate[0] >= 0;
        children.push_back(std::move(c));
        return true;
      }
    }
    return false;
  };
  auto reap = [&](std::list<Child>::iterator it) {
    Child& c = *it;
    slots[c.service] = 0;  // its output closed: it is ending; a reaped pid is never signalled
    Service& s = services[c.service];
    s.exit_code = wait_exit_status(c.pid);
    s.err = std::move(c.text[1]);
    s.doc = json::parse(c.text[0], nullptr, false);
    if (s.doc.is_discarded() || !s.doc.is_object())
      s.doc = {{"error", {{"message", s.exit_code > 128 ? "the build was stopped by " + signal_name(s.exit_code - 128)
                                                        : "the build ended with status " + std::to_string(s.exit_code) +
                                                              " without its result"},
                          {"exit_code", s.exit_code}}}};
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - c.t0).count();
    if (s.leader) leader_done[s.agent_key] = true;
    if (c.gate >= 0) ::close(c.gate);
    children.erase(it);
    finish(s);
  };
  // Group commit: the builds that staged everything wait for one syncfs() of
  // OUT's file system, by the syncer for all that are waiting, while -j
  // others go on building; those that stage meanwhile wait for the next.
  bool syncing = false;
  auto answer_round = [&](char answer) {
    syncing = false;
    for (auto& c : children)
      if (c.in_round) {
        c.in_round = false;
        c.synced = true;
        if (c.gate >= 0 && ::send(c.gate, &answer, 1, MSG_NOSIGNAL) != 1) {
          ::close(c.gate);
          c.gate = -1;
        }
      }
  };
  auto group_commit = [&] {
    if (syncing || syncer.fd < 0) return;
    bool any = false;
    for (auto& c : children)
      if (c.staged && !c.synced && !c.in_round && c.gate >= 0) any = c.in_round = true;
    if (!any) return;
    const char ask = 'R';
    syncing = true;
    if (::send(syncer.fd, &ask, 1, MSG_NOSIGNAL) != 1) {
      syncer.stop();
      answer_round('F');  // F: each syncs itself, and says what failed
    }
  };
  for (;;) {
    size_t running =
        std::count_if(children.begin(), children.end(), [](const Child& c) { return !c.staged && !c.held; });
    // First those waiting for an agent's layers that are now made, then new ones.
    for (auto& c : children)
      if (c.held && running < jobs && leader_done[services[c.service].agent_key]) {
        const char go = 'G';
        if (::send(c.gate, &go, 1, MSG_NOSIGNAL) != 1) {  // it then goes on alone
          ::close(c.gate);
          c.gate = -1;
        }
        c.held = c.early = false;
        ++running;
      }
    for (; running < jobs && start(); ++running) {
    }
    group_commit();
    std::vector<pollfd> fds;
    std::vector<std::pair<std::list<Child>::iterator, int>> which;  // 0 stdout, 1 stderr, 2 gate, 3 the syncer
    if (syncing) {
      fds.push_back({syncer.fd, POLLIN, 0});
      which.emplace_back(children.end(), 3);
    }
    for (auto it = children.begin(); it != children.end(); ++it)
      for (int i = 0; i < 3; ++i)
        if (int fd = i < 2 ? it->fd[i] : it->gate; fd >= 0) {
          fds.push_back({fd, POLLIN, 0});
          which.emplace_back(it, i);
        }
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fail_runtime(std::string("cannot wait for the builds: ") + std::strerror(errno));
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto [it, i] = which[k];
      if (i == 3) {
        char synced = 0;
        ssize_t n = ::recv(syncer.fd, &synced, 1, 0);
        if (n == 1) answer_round(synced == 'S' ? 'S' : 'F');
        if (n == 0 || (n < 0 && errno != EINTR)) {
          syncer.stop();
          answer_round('F');
        }
        continue;
      }
      Child& c = *it;
      if (i == 2) {
        char asked = 0;
        ssize_t n = ::recv(c.gate, &asked, 1, 0);
        if (n == 1 && asked == 'W') {
          c.held = true;
        } else if (n == 1 && asked == 'R') {
          c.staged = true;
          // Its agent layer is in the store (build_outputs.cpp puts it before the SBOM): the others may start.
          if (services[c.service].leader) leader_done[services[c.service].agent_key] = true;
        } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          ::close(c.gate);
          c.gate = -1;
        }
        continue;
      }
      char buf[16384];
      ssize_t n = ::read(c.fd[i], buf, sizeof buf);
      if (n > 0) {
        c.text[i].append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(c.fd[i]);
        c.fd[i] = -1;
      }
    }
    // Reaped once both its outputs closed (after this round: `which` points into the list).
    for (auto it = children.begin(); it != children.end();) {
      auto next = std::next(it);
      if (it->fd[0] < 0 && it->fd[1] < 0) reap(it);
      it = next;
    }
  }
  syncer.stop();  // before a forwarded signal ends the fleet: none of it outlives the fleet
  forwarding.reset();
  remove_store.now();

  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  int worst = 0;
  for (const auto& s : services) worst = std::max(worst, s.exit_code);
  if (global.json) {
    json all = json::array();
    for (const auto& s : services) {
      json e{{"descriptor", s.file}, {"service", s.name}, {"out", s.out}, {"exit_code", s.exit_code},
             {"seconds", s.seconds}};
      for (auto it = s.doc.begin(); it != s.doc.end(); ++it)
        if (!e.contains(it.key())) e[it.key()] = it.value();
      all.push_back(std::move(e));
    }
    std::cout << all.dump(2) << "\n";
  } else {
    // What --push prints for one image (REF@DIGEST, as crane does), for each, in FILES' order.
    for (const auto& s : services)
      if (s.exit_code == 0 && s.doc.contains("push"))
        std::cout << s.doc["push"].value("name", std::string()) << "@" << s.doc["push"].value("digest", std::string())
                  << "\n";
    if (table) print_table(services, total);
  }
  if (int sig = g_stop_signal.load()) {
    size_t unbuilt = 0;
    for (const auto& s : services) unbuilt += s.exit_code != 0;
    std::cerr << "xraybake: stopped by " << signal_name(sig) << " (forwarded to the builds that were running): "
              << unbuilt << " of " << services.size() << " services not built\n";
    // As make does: die of the same signal, so whoever sent it sees it.
    std::cout.flush();
    std::cerr.flush();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
  if (worst != 0) throw Reported{static_cast<ExitCode>(worst > 2 ? 1 : worst)};
}

}  // namespace xb::cli
