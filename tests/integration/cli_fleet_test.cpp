// `xraybake build FILE|DIR...`: a fleet in one invocation (issue 15.1), through
// the real binary. The agent .debs come from a loopback server that counts its
// requests, so "one download per .deb for all services" is what the server saw.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <map>
#include <mutex>
#include <thread>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/http_server.h"
#include "support/temp_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::string service(const std::string& name, const std::string& extra = "") {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: " + name + "\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "  tag: " + name + ":1.0.0\n" + extra +
         "xray:\n"
         "  version: 3.6.6\n"
         // Pinned, as a fleet's descriptors are (or their xraybake.lock): a pin
         // is what lets one service use the .deb another downloaded.
         "  sha256: {amd64: " + sha256_hex(read_file(fixtures::deb("amd64"))) +
         ", arm64: " + sha256_hex(read_file(fixtures::deb("arm64"))) + "}\n"
         "  config: {LocalMode: true}\n";
}

class CliFleet : public ::testing::Test {
 protected:
  // Serves the fixture .debs by name, counting each target.
  HttpServer mirror{[this](const Request& r) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (r.method == "GET") ++gets[r.target];
    }
    std::string file = fixtures::deb_dir() + r.target;
    if (!fs::exists(file)) return Response::status_only(404);
    return Response::bytes(read_file(file));
  }};
  std::mutex mu;
  std::map<std::string, int> gets;
  TempDir dir;

  RunResult xraybake(std::vector<std::string> args) {
    std::vector<std::string> argv{XB_XRAYBAKE_BIN, "--cache-dir", (dir / "cache").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv,
                       {{"XRAYBAKE_DAEMON_URL", mirror.url("/aws-xray-daemon-linux-{arch}-{version}.deb")},
                        {"SOURCE_DATE_EPOCH", "1700000000"}, {"CI", "true"}},
                       dir.path().string());
  }
};

TEST_F(CliFleet, ServicesBuildIntoOutByNameWithOneDownloadPerDebAndTheSameBytesAsAlone) {
  for (const char* n : {"orders", "billing", "search", "users"}) spit(dir / "svc" / n / "xraybake.yaml", service(n));
  // A FILE, a DIR, a DIR/ and another FILE: each means its xraybake.yaml.
  RunResult r = xraybake({"--json", "build", "svc/orders/xraybake.yaml", "svc/billing", "svc/search/",
                          "svc/users/xraybake.yaml", "-o", "fleet", "-j", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json all = json::parse(r.out);
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 4u);
  std::vector<std::string> names;
  for (const auto& s : all) {
    names.push_back(s["service"]);
    EXPECT_EQ(s["exit_code"], 0);
    EXPECT_EQ(s["out"], "fleet/" + s["service"].get<std::string>());
    EXPECT_TRUE(s["image"]["index"]["digest"].get<std::string>().starts_with("sha256:")) << s.dump();
    EXPECT_TRUE(fs::exists(dir / "fleet" / s["service"].get<std::string>() / "oci/index.json"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"orders", "billing", "search", "users"}));  // the order given
  EXPECT_EQ(all[1]["descriptor"], "svc/billing/xraybake.yaml");
  // Four services, two platforms: each .deb fetched once.
  EXPECT_EQ(gets, (std::map<std::string, int>{{"/aws-xray-daemon-linux-amd64-3.6.6.deb", 1},
                                              {"/aws-xray-daemon-linux-arm64-3.6.6.deb", 1}}));

  // A service of the fleet is the very image it is when built alone.
  RunResult alone = xraybake({"build", "svc/search", "-o", "alone"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(read_file(dir / "alone/oci/index.json"), read_file(dir / "fleet/search/oci/index.json"));
  EXPECT_EQ(read_file(dir / "alone/Dockerfile"), read_file(dir / "fleet/search/Dockerfile"));
}

// Group commit: a build stages its whole output, then waits while the fleet's
// syncer syncs OUT's file system once for every build that is ready (a
// journal commit each, on a CI runner's ext4), instead of each build syncing
// on its own and holding one of the -j places meanwhile. strace sees who syncs.
TEST_F(CliFleet, ItsBuildsCommitAfterTheFleetsSyncsNotTheirOwn) {
  const std::vector<std::string> names = {"orders", "billing", "search", "users", "carts"};
  for (const auto& n : names) spit(dir / "svc" / n / "xraybake.yaml", service(n));
  // -ff: a file per process (trace.PID), so no call is split by another's.
  std::vector<std::string> argv{"strace", "-ff", "-qq", "-e", "trace=syncfs",
                                "-o", (dir / "trace").string(), XB_XRAYBAKE_BIN,
                                "--cache-dir", (dir / "cache").string(), "build", "-o", "fleet", "-j", "2"};
  for (const auto& n : names) argv.push_back("svc/" + n);
  // LeakSanitizer can not run under ptrace (the ASan suite): it alone is off here.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options = std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "detect_leaks=0";
  RunResult r = run_command(argv,
                            {{"XRAYBAKE_DAEMON_URL", mirror.url("/aws-xray-daemon-linux-{arch}-{version}.deb")},
                             {"SOURCE_DATE_EPOCH", "1700000000"}, {"CI", "true"}, {"ASAN_OPTIONS", asan_options}},
                            dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& n : names) EXPECT_TRUE(fs::exists(dir / "fleet" / n / "build.json")) << n;
  std::map<std::string, int> syncfs_by_pid;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (const std::string name = e.path().filename().string(); name.starts_with("trace.")) {
      std::istringstream trace(read_file(e.path()));
      for (std::string line; std::getline(trace, line);)
        if (line.starts_with("syncfs(")) {
          EXPECT_THAT(line, HasSubstr("= 0")) << name << ": " << line;
          ++syncfs_by_pid[name];
        }
    }
  // One process syncs (the syncer), once per build at most; no build syncs itself.
  ASSERT_EQ(syncfs_by_pid.size(), 1u) << ::testing::PrintToString(syncfs_by_pid);
  EXPECT_GE(syncfs_by_pid.begin()->second, 1);
  EXPECT_LE(syncfs_by_pid.begin()->second, static_cast<int>(names.size()));
}

// st_ino and st_nlink of PATH.
std::pair<ino_t, nlink_t> inode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return {st.st_ino, st.st_nlink};
}

// Issue 15.4 b: the first service of an agent .deb is built before the others,
// which link its agent layer and supervisor layer (with what it read of the
// .deb) instead of making them again. With --locked no build writes
// xraybake.lock, so nothing but the fleet could tell a service about the
// layer another made: each would compress it again.
TEST_F(CliFleet, TheFirstServiceMakesTheAgentLayerAndTheOthersLinkItWithTheSameBytesAsAlone) {
  const std::vector<std::string> names{"orders", "billing", "search", "users"};
  for (const auto& n : names) spit(dir / "svc" / n / "xraybake.yaml", service(n));
  RunResult r = xraybake({"--locked", "-v", "build", "svc/orders", "svc/billing", "svc/search", "svc/users", "-o",
                          "fleet", "-j", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* arch : {"amd64", "arm64"})
    for (const std::string& layer : {std::string("xray-daemon-") + arch, std::string("xraybake-init-") + arch}) {
      const auto first = inode(dir / "fleet/orders/layers" / (layer + ".tar.gz"));
      for (const auto& n : names) {
        EXPECT_EQ(inode(dir / "fleet" / n / "layers" / (layer + ".tar.gz")).first, first.first)
            << n << "'s " << layer << " is not the file orders made";
      }
    }
  // The others say so (under -v), and orders made them: it started alone.
  EXPECT_THAT(r.err, HasSubstr("billing | took sha256:"));
  // And the base's layers were hashed once, by orders: the others know the very
  // files. Only on one file system: the fleet keeps a hard link to what it hashed.
  struct stat base_fs {}, out_fs {};
  ASSERT_EQ(::stat(fixtures::base_multi_oci().c_str(), &base_fs), 0);
  ASSERT_EQ(::stat((dir / "fleet").c_str(), &out_fs), 0);
  if (base_fs.st_dev == out_fs.st_dev)
    EXPECT_THAT(r.err, HasSubstr("search | base layer sha256:"));
  else
    EXPECT_THAT(r.err, Not(HasSubstr("search | base layer sha256:"))) << "linked across file systems?";
  EXPECT_THAT(r.err, Not(HasSubstr("orders | base layer sha256:")));
  // Nor did they read (hash) their .deb: the layer made from it said all a build needs of it.
  EXPECT_THAT(r.err, HasSubstr("users | arm64: " + mirror.url("/aws-xray-daemon-linux-arm64-3.6.6.deb") +
                               " not read: another build of this fleet made its agent layer sha256:"));
  EXPECT_THAT(r.err, Not(HasSubstr("orders | took sha256:")));
  // Their service layers were written while orders ran (build/made_layers.h):
  // billing and users, started beside it (-j 3), wrote their text outputs and
  // service layers, then waited; each then took the file it had written.
  EXPECT_THAT(r.err, HasSubstr("users | service layer sha256:"));
  EXPECT_THAT(r.err, HasSubstr("billing | text outputs and service layer written; waiting for the first build"));
  EXPECT_THAT(r.err, Not(HasSubstr("orders | service layer sha256:")));
  EXPECT_THAT(r.err, Not(HasSubstr("orders | text outputs and service layer written")));
  EXPECT_FALSE(fs::exists(dir / "svc/orders/xraybake.lock")) << "--locked wrote a lock";
  // Nothing of the fleet's own is left in OUT.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "fleet"), fs::directory_iterator()), 4);

  // A service that linked them is the very image, SBOM and provenance it is when built alone.
  RunResult alone = xraybake({"--locked", "build", "svc/search", "-o", "alone"});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  for (const char* f : {"oci/index.json", "sbom/amd64.spdx.json", "sbom/arm64.spdx.json", "provenance.json",
                        "build.json", "layers/xray-daemon-arm64.tar.gz", "layers/service.tar.gz"})
    EXPECT_EQ(read_file(dir / "alone" / f), read_file(dir / "fleet/search" / f)) << f;
}

TEST_F(CliFleet, EveryServiceIsAttemptedAndAFailureNamesItsDescriptor) {
  spit(dir / "a/xraybake.yaml", service("alpha"));
  spit(dir / "b/xraybake.yaml", service("beta", "  bogus_key: 1\n"));  // bad input: exit 2
  spit(dir / "c/xraybake.yaml", service("gamma"));
  RunResult r = xraybake({"build", "a", "b", "c", "-o", "fleet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Not a terminal: one line per service, then the failure's own diagnostics under its name.
  EXPECT_THAT(r.err, HasSubstr("alpha: built in "));
  EXPECT_THAT(r.err, HasSubstr("gamma: built in "));
  EXPECT_THAT(r.err, HasSubstr("b/xraybake.yaml: FAILED: "));  // no service name: it did not load
  EXPECT_THAT(r.err, HasSubstr("b/xraybake.yaml | b/xraybake.yaml:"));  // FILE:LINE:COL of the bad key
  EXPECT_THAT(r.err, HasSubstr("bogus_key"));
  EXPECT_TRUE(fs::exists(dir / "fleet/alpha/oci/index.json"));
  EXPECT_TRUE(fs::exists(dir / "fleet/gamma/oci/index.json"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "fleet"), fs::directory_iterator()), 2);

  // A runtime failure alone (the mirror has no 9.9.9) is exit 1, the others still built.
  fs::remove_all(dir / "cache");
  std::string missing = service("delta");
  missing.replace(missing.find("3.6.6"), 5, "9.9.9");
  // Unpinned: a pin would name the bytes alpha downloads, whatever the version says.
  size_t pin = missing.find("  sha256:");
  missing.erase(pin, missing.find('\n', pin) + 1 - pin);
  spit(dir / "d/xraybake.yaml", missing);
  RunResult j = xraybake({"--json", "build", "a", "d", "-o", "fleet2"});
  EXPECT_EQ(j.exit_code, 1) << j.err;
  json all = json::parse(j.out);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["exit_code"], 0);
  EXPECT_EQ(all[1]["exit_code"], 1);
  EXPECT_THAT(all[1]["error"]["message"].get<std::string>(), HasSubstr("9.9.9"));
  EXPECT_EQ(all[1]["descriptor"], "d/xraybake.yaml");
}

TEST_F(CliFleet, TwoDescriptorsNamingOneServiceAreRefusedBeforeAnyBuild) {
  spit(dir / "a/xraybake.yaml", service("orders"));
  spit(dir / "b/xraybake.yaml", service("orders"));
  RunResult r = xraybake({"build", "a", "b", "-o", "fleet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("a/xraybake.yaml and b/xraybake.yaml both name the service orders"));
  EXPECT_FALSE(fs::exists(dir / "fleet"));
  EXPECT_TRUE(gets.empty());
}

TEST_F(CliFleet, OutThatIsASingleBuildAndPushWithOneRefAreRefused) {
  spit(dir / "a/xraybake.yaml", service("alpha"));
  spit(dir / "b/xraybake.yaml", service("beta"));
  ASSERT_EQ(xraybake({"build", "a", "-o", "single"}).exit_code, 0);
  std::string before = read_file(dir / "single/build.json");
  RunResult r = xraybake({"build", "a", "b", "-o", "single"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("single is the output of a single build"));
  EXPECT_EQ(read_file(dir / "single/build.json"), before);
  EXPECT_FALSE(fs::exists(dir / "single/alpha"));

  RunResult p = xraybake({"build", "a", "b", "--push=127.0.0.1:1/x:1", "-o", "fleet"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_THAT(p.err, HasSubstr("write --push alone"));
}

TEST_F(CliFleet, FetchTakesSeveralDescriptorsAndDownloadsASharedDebOnce) {
  spit(dir / "a/xraybake.yaml", service("alpha"));
  spit(dir / "b/xraybake.yaml", service("beta"));
  spit(dir / "c/xraybake.yaml", "apiVersion: xraybake/v1\nservice: {name: broken}\n");
  RunResult r = xraybake({"--json", "fetch", "a", "c", "b/xraybake.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("c/xraybake.yaml:2:1: missing service.base"));
  json all = json::parse(r.out);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["file"], "a/xraybake.yaml");
  EXPECT_EQ(all[0]["debs"]["amd64"]["downloaded"], true);
  EXPECT_EQ(all[1]["file"], "c/xraybake.yaml");
  EXPECT_EQ(all[1]["error"]["exit_code"], 2);
  EXPECT_EQ(all[2]["debs"]["amd64"]["downloaded"], false);  // a's download, found by its pin
  EXPECT_EQ(gets, (std::map<std::string, int>{{"/aws-xray-daemon-linux-amd64-3.6.6.deb", 1},
                                              {"/aws-xray-daemon-linux-arm64-3.6.6.deb", 1}}));
}

// The processes whose parent is PARENT (read from /proc/<pid>/stat).
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');  // comm may hold spaces and parentheses
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// The fleet's builds: its children but its syncer (named xraybake-sync).
std::vector<pid_t> builds_of(pid_t fleet) {
  std::vector<pid_t> out;
  for (pid_t p : children_of(fleet)) {
    std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
    std::string c;
    std::getline(comm, c);
    if (c == "xraybake") out.push_back(p);
  }
  return out;
}

// Whether any process's command line mentions TEXT.
bool any_process_mentions(const std::string& text) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) return true;
  }
  return false;
}

// A CI job cancelled, `kill PID`: SIGTERM to the fleet process alone (not its
// process group, as Ctrl-C would) reaches every build it runs, no service
// starts after it, and the fleet dies of it once its builds have ended.
TEST_F(CliFleet, SigtermToTheFleetAloneStopsEveryRunningBuildAndStartsNoOther) {
  // Every download stalls: the builds are running, and would for 30 s.
  HttpServer stalling{[](const Request& r) {
    Response s = Response::stalled(read_file(fixtures::deb_dir() + r.target), 100);
    s.stall_for = std::chrono::seconds(30);
    return s;
  }};
  // beta's agent layer is zstd, so it does not wait for alpha's (the first
  // of each agent is built before the others of that agent): two run at once.
  spit(dir / "alpha/xraybake.yaml", service("alpha"));
  spit(dir / "beta/xraybake.yaml", service("beta", "  compression: zstd\n"));
  spit(dir / "gamma/xraybake.yaml", service("gamma"));
  RunResult r;
  std::thread fleet_thread([&] {
    r = run_command({XB_XRAYBAKE_BIN, "--cache-dir", (dir / "cache").string(), "build", "alpha", "beta", "gamma",
                     "-o", "fleet", "-j", "2"},
                    {{"XRAYBAKE_DAEMON_URL", stalling.url("/aws-xray-daemon-linux-{arch}-{version}.deb")},
                     {"SOURCE_DATE_EPOCH", "1700000000"}, {"CI", "true"}},
                    dir.path().string());
  });
  // Awaited: the fleet (this test's only xraybake child) runs two builds, one of them downloading.
  pid_t fleet = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    for (pid_t p : children_of(::getpid())) {
      std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
      std::string c;
      std::getline(comm, c);
      if (c == "xraybake") fleet = p;
    }
    if (fleet && builds_of(fleet).size() == 2 && stalling.request_count() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (fleet == 0 || builds_of(fleet).size() != 2) {  // not as meant: end it, or the thread never joins
    if (fleet) ::kill(fleet, SIGKILL);
    fleet_thread.join();
    FAIL() << "the fleet did not run two builds at once: " << r.err;
  }
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(fleet, SIGTERM), 0);
  fleet_thread.join();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();

  EXPECT_LT(took, 10.0) << "the builds outlived the fleet's SIGTERM (their downloads stall for 30 s)";
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_THAT(r.err, HasSubstr("stopped by SIGTERM"));
  EXPECT_THAT(r.err, HasSubstr("3 of 3 services not built"));
  EXPECT_THAT(r.err, HasSubstr("alpha: FAILED (alpha/xraybake.yaml): the build was stopped by SIGTERM"));
  EXPECT_THAT(r.err, HasSubstr("gamma: FAILED (gamma/xraybake.yaml): not built: the fleet was stopped by SIGTERM"));
  EXPECT_FALSE(any_process_mentions((dir / "cache").string())) << "a build of the fleet is still running";
  EXPECT_FALSE(fs::exists(dir / "fleet/alpha/build.json"));
  EXPECT_FALSE(fs::exists(dir / "fleet/gamma"));
}

}  // namespace
}  // namespace xb::test
