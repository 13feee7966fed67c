// `xraybake build -o OUT` never replaces someone's data, and an interrupted or
// killed build leaves nothing behind that the next build does not clean up.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/http_server.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const char* kDescriptor = "apiVersion: xraybake/v1\nservice: {name: api, base: \"oci:app\", command: [one]}\n";

// What staging or moved-aside directories of OUT are left in DIR.
std::vector<std::string> leftovers(const fs::path& dir, const std::string& out = "out") {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind("." + out + ".", 0) == 0) found.push_back(e.path().filename().string());
  return found;
}

// xraybake ARGS in CWD with ENV on top of this process's.
RunResult run_in(const fs::path& cwd, std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), XB_XRAYBAKE_BIN);
  env.emplace("XRAYBAKE_DAEMON_URL", "");
  return run_command(args, env, cwd.string());
}

// An earlier output in the old format: build.json only, no marker.
void old_output(const fs::path& dir) {
  spit(dir / "build.json", R"({"xraybake_version": "0.0.9", "service": "api"})");
  spit(dir / "Dockerfile", "FROM old\n");
}

// The real binary started in the background, stdout and stderr into LOG.
class Background {
 public:
  Background(const fs::path& cwd, const std::vector<std::string>& args, std::map<std::string, std::string> env,
             fs::path log)
      : log_(std::move(log)) {
    std::vector<std::string> argv{XB_XRAYBAKE_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    env.emplace("XRAYBAKE_DAEMON_URL", "");
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (!env.count(kv.substr(0, kv.find('=')))) envs.push_back(kv);
    }
    for (const auto& [k, v] : env)
      if (!v.empty()) envs.push_back(k + "=" + v);
    std::vector<char*> av, ev;
    for (auto& a : argv) av.push_back(a.data());
    for (auto& e : envs) ev.push_back(e.data());
    av.push_back(nullptr);
    ev.push_back(nullptr);
    std::string dir = cwd.string();
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      int in = ::open("/dev/null", O_RDONLY);
      int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || ::chdir(dir.c_str()) != 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execve(av[0], av.data(), ev.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit status, or 128+N for a signal.
  int wait() {
    if (!status_) {
      int st = 0;
      ::waitpid(pid_, &st, 0);
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return *status_;
  }
  std::string output() const { return slurp(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls COND until it holds or 60 s passed.
bool eventually(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The loss issue 13.1 reported: `-o` at a directory of the user's deleted it, exit 0.
TEST(CliBuildOut, RefusesADirectoryHoldingSomeonesFiles) {
  TempDir dir;
  spit(dir / "svc/xraybake.yaml", kDescriptor);
  spit(dir / "mine/thesis.tex", "years of work");
  auto r = run_in(dir.path(), {"build", "--text-only", "svc/xraybake.yaml", "-o", "mine"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("mine is not empty and not an earlier xraybake output"));
  EXPECT_THAT(r.err, HasSubstr("hint: choose a new or empty output directory (build -o DIR), or remove"));
  EXPECT_EQ(slurp(dir / "mine/thesis.tex"), "years of work");
  EXPECT_TRUE(leftovers(dir.path(), "mine").empty());
  // A file is not replaced either.
  spit(dir / "notes.txt", "mine");
  r = run_in(dir.path(), {"build", "--text-only", "svc/xraybake.yaml", "-o", "notes.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is a file, not a directory"));
  EXPECT_EQ(slurp(dir / "notes.txt"), "mine");
}

// Even when they look like an earlier output (a build.json of xraybake's):
// the descriptor's folder, the current directory, $HOME, the cache, and their parents.
TEST(CliBuildOut, NeverReplacesTheDescriptorsFolderTheCurrentDirectoryHomeOrTheCache) {
  TempDir dir;
  spit(dir / "svc/xraybake.yaml", kDescriptor);
  for (auto d : {"svc", "home", "cache", "up/cache"}) old_output(dir / d);
  struct Case {
    fs::path cwd;
    std::vector<std::string> args;
    std::string says;
  };
  const std::string desc = (dir / "svc/xraybake.yaml").string();
  std::vector<Case> cases{
      {dir / "svc", {"build", "--text-only"}, ""},  // the control: ./out is fine
      {dir.path(), {"build", "--text-only", desc, "-o", "svc"}, "which the build reads"},
      {dir / "svc", {"build", "--text-only", "-o", "."}, "it is the current directory"},
      {dir / "svc", {"build", "--text-only", "-o", ".."}, "it is a parent of the current directory"},
      {dir.path(), {"build", "--text-only", desc, "-o", "home"}, "it is your home directory"},
      {dir.path(), {"--cache-dir", "cache", "build", "--text-only", desc, "-o", "cache"}, "which the build reads"},
      {dir.path(), {"--cache-dir", "up/cache", "build", "--text-only", desc, "-o", "up"}, "a parent of"},
      {dir.path(), {"build", "--text-only", desc, "-o", "/"}, "refusing to replace /"},
  };
  for (const auto& c : cases) {
    auto r = run_in(c.cwd, c.args, {{"HOME", (dir / "home").string()}});
    std::string what = c.args.back();
    if (c.says.empty()) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      continue;
    }
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.says)) << what;
    EXPECT_THAT(r.err, HasSubstr("hint: choose a new or empty output directory")) << what;
  }
  EXPECT_EQ(slurp(dir / "svc/xraybake.yaml"), kDescriptor);
  for (auto d : {"svc", "home", "cache", "up/cache"}) EXPECT_EQ(slurp(dir / d / "Dockerfile"), "FROM old\n") << d;
  EXPECT_TRUE(fs::exists(dir / "svc/out/Dockerfile"));
}

TEST(CliBuildOut, ReplacesAnEarlierOutputOrAnEmptyDirectory) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kDescriptor);
  old_output(dir / "out");  // written by an xraybake from before the marker
  auto r = run_in(dir.path(), {"build", "--text-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out/build.json"));
  EXPECT_THAT(slurp(dir / "out/Dockerfile"), HasSubstr("CMD [\"one\"]"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out/.xraybake-output"));
  r = run_in(dir.path(), {"build", "--text-only"});  // a text-only output is recognised by its marker
  EXPECT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(dir / "empty");
  r = run_in(dir.path(), {"--json", "build", "--text-only", "-o", "empty"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "empty/Dockerfile"));
  auto files = nlohmann::json::parse(r.out)["files"];
  EXPECT_EQ(std::find(files.begin(), files.end(), ".xraybake-output"), files.end()) << files;
  EXPECT_TRUE(leftovers(dir.path()).empty());
  EXPECT_TRUE(leftovers(dir.path(), "empty").empty());
}

// Ctrl-C or SIGTERM while the build waits for a stalled download: the staging
// directory goes, the earlier output stays, the exit is 128+N.
TEST(CliBuildOut, AnInterruptedBuildRemovesItsStagingDirectory) {
  for (int sig : {SIGINT, SIGTERM}) {
    TempDir dir;
    HttpServer server([](const Request&) { return Response::stalled(std::string(100000, 'x'), 10); });
    // A base that is there: the build gets as far as the download (the base is checked first).
    std::string desc = kDescriptor;
    desc.replace(desc.find("oci:app"), 7, "oci:" + fixtures::base_oci() + ":latest");
    spit(dir / "xraybake.yaml", desc + "xray:\n  version: 3.6.6\n  url: " + server.url("/xray-{arch}-{version}.deb") + "\n");
    ASSERT_EQ(run_in(dir.path(), {"build", "--text-only"}).exit_code, 0);
    const std::string before = slurp(dir / "out/Dockerfile");
    Background build(dir.path(), {"--cache-dir", "cache", "build"}, {{"XRAYBAKE_STALL_TIMEOUT", "300"}},
                     dir / "log");
    ASSERT_TRUE(eventually([&] { return server.request_count() > 0; })) << build.output();
    EXPECT_EQ(leftovers(dir.path()).size(), 1u);  // its staging directory
    build.signal(sig);
    EXPECT_EQ(build.wait(), 128 + sig) << build.output();
    EXPECT_TRUE(leftovers(dir.path()).empty()) << sig;
    EXPECT_EQ(slurp(dir / "out/Dockerfile"), before);
  }
}

// SIGKILL between the two renames of the commit (a test hook holds the build
// there): OUT is missing, the old one moved aside; the next build finishes
// that commit and cleans up.
TEST(CliBuildOut, ABuildKilledBetweenTheRenamesOfItsCommitIsRepairedByTheNext) {
  TempDir dir;
  spit(dir / "xraybake.yaml", kDescriptor);
  ASSERT_EQ(run_in(dir.path(), {"build", "--text-only"}).exit_code, 0);
  std::string two = kDescriptor;
  two.replace(two.find("[one]"), 5, "[two]");
  spit(dir / "xraybake.yaml", two);
  {
    Background build(dir.path(), {"build", "--text-only"}, {{"XRAYBAKE_TEST_PAUSE_COMMIT", "1"}}, dir / "log");
    ASSERT_TRUE(eventually([&] { return build.output().find("test hook: paused") != std::string::npos; }))
        << build.output();
    build.signal(SIGKILL);
    EXPECT_EQ(build.wait(), 128 + SIGKILL);
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  auto left = leftovers(dir.path());
  std::sort(left.begin(), left.end());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].rfind(".out.old-", 0), 0u);
  EXPECT_EQ(left[1].rfind(".out.partial-", 0), 0u);

  auto r = run_in(dir.path(), {"validate"});  // does not touch OUT
  EXPECT_EQ(leftovers(dir.path()).size(), 2u);
  spit(dir / "xraybake.yaml", kDescriptor);
  r = run_in(dir.path(), {"build", "--text-only"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("out: finished the commit of a build that was killed during it"));
  EXPECT_THAT(slurp(dir / "out/Dockerfile"), HasSubstr("CMD [\"one\"]"));
  EXPECT_TRUE(leftovers(dir.path()).empty());
}

}  // namespace
}  // namespace xb::test
