#include "cli/build_fleet.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
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
  // After the build:
  int exit_code = 0;
  double seconds = 0;
  json doc;          // the child's --json document, or {"error": ...}
  std::string err;   // the child's stderr
};

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

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// This very binary: the children are the same xraybake.
std::string self_exe() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail_runtime("cannot find the xraybake binary (/proc/self/exe): " + ec.message());
  return p.string();
}

// The common flags as the parent got them, for each child.
std::vector<std::string> global_flags(const GlobalOptions& g) {
  std::vector<std::string> a{"--json", "--cache-dir", g.cache_dir};
  if (!g.templates_dir.empty()) a.insert(a.end(), {"--templates", g.templates_dir});
  if (!g.ca_bundle.empty()) a.insert(a.end(), {"--ca-bundle", g.ca_bundle});
  if (g.offline) a.push_back("--offline");
  if (g.locked) a.push_back("--locked");
  if (log::level() == log::Level::quiet) a.push_back("-q");
  if (log::level() == log::Level::verbose) a.push_back("-v");
  return a;
}

// The first line of the child's error, for the one line per service.
std::string error_line(const Service& s) {
  if (s.doc.contains("error")) return s.doc["error"].value("message", std::string("failed"));
  return "xraybake exited with status " + std::to_string(s.exit_code);
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
  std::map<std::string, std::string> by_name;
  for (const auto& f : request.files) {
    Service s;
    s.file = f;
    s.name = f;
    try {
      Descriptor d = agents::load_descriptor(f);
      s.name = d.service.name;
      s.out = (fs::path(request.out) / d.service.name).string();
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

  const std::string exe = self_exe();
  const std::vector<std::string> flags = global_flags(global);
  unsigned jobs = request.jobs ? request.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(services.size()));
  const bool table = log::interactive() && log::level() >= log::Level::normal;
  std::mutex print;
  size_t ended = 0;
  auto finish = [&](Service& s) {
    std::lock_guard<std::mutex> lock(print);
    ++ended;
    if (log::level() >= log::Level::normal || s.exit_code != 0) {
      if (table) std::cerr << "[" << ended << "/" << services.size() << "] ";
      std::cerr << end_line(s) << "\n";
    }
    print_child_stderr(s);
  };

  std::atomic<size_t> next{0};
  std::unique_ptr<std::atomic<pid_t>[]> slots(new std::atomic<pid_t>[jobs]);
  for (unsigned i = 0; i < jobs; ++i) slots[i] = 0;
  std::optional<ForwardSignals> forwarding;
  forwarding.emplace(slots.get(), jobs);
  auto worker = [&](unsigned slot) {
    for (size_t i; (i = next++) < services.size();) {
      Service& s = services[i];
      const auto t0 = std::chrono::steady_clock::now();
      if (int sig = g_stop_signal.load()) {
        s.exit_code = 128 + sig;
        s.doc = {{"error", {{"message", "not built: the fleet was stopped by " + signal_name(sig)},
                            {"exit_code", s.exit_code}}}};
      } else if (s.load_error) {
        s.exit_code = static_cast<int>(s.load_error->code());
        s.doc = error_json(*s.load_error);
        s.err = error_text(*s.load_error);
      } else {
        std::vector<std::string> argv{exe};
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.insert(argv.end(), {"build", s.file, "-o", s.out});
        argv.insert(argv.end(), request.build_flags.begin(), request.build_flags.end());
        SubprocessResult r = run_subprocess(argv, "", &slots[slot]);
        s.exit_code = r.exit_code;
        s.err = std::move(r.err);
        s.doc = json::parse(r.out, nullptr, false);
        if (s.doc.is_discarded() || !s.doc.is_object())
          s.doc = {{"error", {{"message", r.exit_code > 128 ? "the build was stopped by " + signal_name(r.exit_code - 128)
                                                            : "xraybake exited with status " + std::to_string(r.exit_code) +
                                                                  " without its result"},
                              {"exit_code", r.exit_code}}}};
      }
      s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      finish(s);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < jobs; ++i) pool.emplace_back(worker, i);
  for (auto& t : pool) t.join();
  forwarding.reset();

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
