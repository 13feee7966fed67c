// arm64 containers really run (issue 14.2): the linux/arm64 image of a
// multi-platform xraybake build (base: the fixtures' base-multi-oci), on this
// amd64 machine through Debian's qemu-user-static registered in binfmt_misc
// with its F flag (the interpreter opened at registration, so it works inside
// any container's mount namespace). Under runc (umoci unpack of the arm64
// manifest) and under Docker (--platform linux/arm64), the same stop test:
// nothing lost, the app's exit status.
#include <regex>

#include <gtest/gtest.h>

#include "docker_harness.h"
#include "fixtures/fixtures.h"

namespace xb::e2e {
namespace {

constexpr auto kStopTimeout = 20s;
constexpr auto kLongBefore = 10s;
const fs::path kBinfmt = "/proc/sys/fs/binfmt_misc";
const fs::path kQemuBinfmt = "/usr/share/binfmts/qemu-aarch64";  // Debian's qemu-user-static

// Registers Debian's qemu-aarch64 in binfmt_misc (mounting it first if
// needed) with the flags F, plus P and C as the package's file asks, unless
// an entry is there already: "" or why it could not.
std::string ensure_qemu_aarch64() {
  if (!fs::exists(kBinfmt / "register")) {
    auto r = run({"mount", "-t", "binfmt_misc", "binfmt_misc", kBinfmt.string()});
    if (r.status != 0 && !fs::exists(kBinfmt / "register")) return "mount binfmt_misc: " + r.output;
  }
  if (fs::exists(kBinfmt / "qemu-aarch64")) return "";
  std::map<std::string, std::string> f;
  std::istringstream in(read_file(kQemuBinfmt));
  for (std::string key, value; in >> key && std::getline(in >> std::ws, value);) f[key] = value;
  if (f["magic"].empty() || f["interpreter"].empty()) return "no magic or interpreter in " + kQemuBinfmt.string();
  std::string flags = "F";
  if (f["preserve"] == "yes") flags += "P";
  if (f["credentials"] == "yes") flags += "C";
  std::string line = ":qemu-aarch64:M:" + f["offset"] + ":" + f["magic"] + ":" + f["mask"] + ":" +
                     f["interpreter"] + ":" + flags;
  {
    std::ofstream reg(kBinfmt / "register");
    reg << line;  // the kernel reads \xNN itself; EEXIST when another test was first
  }
  return fs::exists(kBinfmt / "qemu-aarch64") ? "" : "could not register " + line;
}

// The ELF machine of the binary at P (0xB7: aarch64, 0x3E: x86-64), 0 if none.
int elf_machine(const fs::path& p) {
  std::string head = read_file(p).substr(0, 20);
  if (head.size() < 20 || head.compare(0, 4, "\x7f" "ELF") != 0) return 0;
  return static_cast<unsigned char>(head[18]) | static_cast<unsigned char>(head[19]) << 8;
}

class E2eArm64 : public ::testing::Test {
 protected:
  static inline std::unique_ptr<TempDir> work;
  static inline std::string setup_error;
  static constexpr const char* kName = "xb-arm64";

  static bool can_run() {
    return geteuid() == 0 && have_tool("skopeo") && fs::exists(kQemuBinfmt) &&
           fs::exists(fixtures::base_multi_oci() + "/index.json");
  }
  static void SetUpTestSuite() {
    if (!can_run()) return;  // SetUp says why
    work = std::make_unique<TempDir>("xb-e2e-arm64");
    setup_error = ensure_qemu_aarch64();
    if (!setup_error.empty()) return;
    FileServer server(fixtures::deb_dir());
    setup_error = xraybake_build_in(
        work->path / kName,
        standin_service_yaml(kName, "oci:" + fixtures::base_multi_oci() + ":latest", "[linux/amd64, linux/arm64]"),
        work->path / "cache", server);
  }
  static void TearDownTestSuite() { work.reset(); }
  void SetUp() override {
    XB_REQUIRE_ROOT("binfmt_misc registration and containers");
    XB_REQUIRE(fs::exists(kQemuBinfmt), kQemuBinfmt << " missing (apt-get install qemu-user-static)");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    XB_REQUIRE(fs::exists(fixtures::base_multi_oci() + "/index.json"),
               "no base-multi-oci fixture (apt-get install umoci busybox-static, then rebuild)");
    ASSERT_TRUE(setup_error.empty()) << setup_error;
  }
  static fs::path layout() { return work->path / kName / "out" / "oci"; }
};

TEST_F(E2eArm64, QemuIsRegisteredWithTheFixBinaryFlag) {
  std::string entry = read_file(kBinfmt / "qemu-aarch64");
  EXPECT_EQ(entry.rfind("enabled\n", 0), 0u) << entry;
  std::smatch flags;
  ASSERT_TRUE(std::regex_search(entry, flags, std::regex("\nflags: ([A-Z]*)\n"))) << entry;
  EXPECT_NE(flags[1].str().find('F'), std::string::npos) << "without F, qemu is not found inside a container";
  // Idempotent: a second call leaves the entry as it is.
  EXPECT_EQ(ensure_qemu_aarch64(), "");
  EXPECT_EQ(read_file(kBinfmt / "qemu-aarch64"), entry);
}

TEST_F(E2eArm64, Arm64ImageUnderRuncLosesNoSegment) {
  XB_REQUIRE_TOOL("runc", "runc");
  XB_REQUIRE_TOOL("umoci", "umoci");
  // The arm64 manifest alone (umoci unpacks a manifest, not an index), byte for byte.
  std::string want;
  oci_image_config(layout(), "arm64", &want);
  fs::path arm64 = work->path / "arm64-oci";
  auto cp = run({"skopeo", "copy", "--quiet", "--preserve-digests", "--override-os", "linux", "--override-arch",
                 "arm64", "oci:" + layout().string() + ":1.0.0", "oci:" + arm64.string() + ":1.0.0"});
  ASSERT_EQ(cp.status, 0) << cp.output;
  EXPECT_EQ(json::parse(read_file(arm64 / "index.json"))["manifests"][0]["digest"], want);

  Container c(arm64, "1.0.0", work->path, "arm64");
  for (const char* bin : {"usr/local/bin/xraybake-init", "usr/bin/xray", "usr/local/bin/standin-app"})
    EXPECT_EQ(elf_machine(c.rootfs() / bin), 0xB7) << bin << " is not an aarch64 binary";
  c.add_env("XRAY_STANDIN_FLUSH_DELAY_MS=500");
  c.start();
  ASSERT_TRUE(eventually([&] { return c.log_text().find("standin-app: pid") != std::string::npos; }, 60s))
      << c.log_text();
  // PID 1 of the container is qemu running the arm64 supervisor.
  auto init = c.init_pid();
  ASSERT_TRUE(init);
  std::error_code ec;
  std::string exe = fs::read_symlink("/proc/" + std::to_string(*init) + "/exe", ec).string();
  EXPECT_NE(exe.find("qemu-aarch64"), std::string::npos) << exe;
  std::this_thread::sleep_for(2s);
  auto t0 = Clock::now();
  c.kill("TERM");
  StandinStop s;
  s.status = c.wait(kStopTimeout + 30s);
  s.took = Clock::now() - t0;
  s.log = c.log_text();
  std::string app = read_file(c.rootfs() / "tmp/standin-app.json");
  if (!app.empty()) s.app = json::parse(app, nullptr, false);
  s.sink = read_sink(c.rootfs() / "tmp/xray-standin-sink.jsonl");
  expect_no_segment_lost(s, kStandinTermCode, kLongBefore);
  RecordProperty("runc_stop_ms", std::chrono::duration_cast<std::chrono::milliseconds>(s.took).count());
}

TEST_F(E2eArm64, Arm64ImageUnderDockerLosesNoSegment) {
  XB_REQUIRE(have_docker_engine(), kDockerd << " or " << kDocker << " missing (apt-get install docker.io)");
  std::unique_ptr<DockerEngine> engine;
  try {
    engine = std::make_unique<DockerEngine>(work->path / "engine");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  const std::string image = std::string(kName) + "-arm64:1.0.0";
  auto load = engine->load(layout(), "1.0.0", image, "arm64");
  ASSERT_EQ(load.status, 0) << load.output;
  json inspect = engine->inspect(image);
  EXPECT_EQ(inspect["Architecture"], "arm64");
  EXPECT_EQ(inspect["Os"], "linux");

  auto s = docker_run_then_stop(*engine, image, std::string(kName) + "-arm64", work->path, 2s, kStopTimeout,
                                {"XRAY_STANDIN_FLUSH_DELAY_MS=500"}, "linux/arm64");
  expect_no_segment_lost(s, kStandinTermCode, kLongBefore);
  RecordProperty("docker_stop_ms", std::chrono::duration_cast<std::chrono::milliseconds>(s.took).count());
}

}  // namespace
}  // namespace xb::e2e
