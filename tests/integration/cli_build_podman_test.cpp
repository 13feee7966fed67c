// The Dockerfile that `xraybake build` writes, built by a real builder:
// Debian's podman, offline (--network=none), FROM the local OCI layout.
#include <unistd.h>

#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/cli_helpers.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;

TEST(CliBuildPodman, DockerfileBuildsOfflineIntoTheDescribedImage) {
  XB_REQUIRE_TOOL("podman", "podman");
  XB_REQUIRE_ROOT("podman build");
  TempDir dir;
  std::string base = std::string(XB_BINARY_DIR) + "/tests/fixtures/base-oci";
  ASSERT_TRUE(fs::exists(base + "/index.json")) << base;
  nlohmann::json cmd = {"/bin/sh", "-c", "echo \"hi $0\" 'x'", "arg with spaces"};
  spit(dir / "svc/xraybake.yaml", "apiVersion: xraybake/v1\n"
                                  "service:\n"
                                  "  name: podman-check\n"
                                  "  base: oci:" + base + ":latest\n"
                                  "  command: " + cmd.dump() + "\n"
                                  "  workdir: /tmp\n"
                                  "  user: \"1234:5678\"\n"
                                  "  env: {MOTD: \"pay $5 \\\"now\\\"\"}\n"
                                  "  ports: [5000, 8125/udp]\n"
                                  "  labels: {team: pay ments}\n");
  auto r = xraybake({"build", "--text-only", "svc/xraybake.yaml", "-o", "out"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Stand-in layer tarballs: the text outputs only name them.
  fs::create_directories(dir / "out/layers");
  for (auto layer : {"xray-daemon-amd64", "xraybake-init-amd64", "service"}) {
    fs::create_directories(dir / "content" / layer);
    spit(dir / "content" / layer / (std::string(layer) + ".txt"), layer);
    auto tar = run_command({"tar", "-C", (dir / "content" / layer).string(), "-czf",
                            (dir / "out/layers" / (std::string(layer) + ".tar.gz")).string(), "."});
    ASSERT_EQ(tar.exit_code, 0) << tar.err;
  }
  std::vector<std::string> podman{"podman", "--root", (dir / "storage").string(), "--runroot",
                                  (dir / "run").string(), "--storage-driver", "vfs"};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = podman;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  };
  auto build = with({"build", "--network=none", "--platform", "linux/amd64", "-t", "podman-check:1",
                     (dir / "out").string()});
  ASSERT_EQ(build.exit_code, 0) << build.out << build.err;
  auto inspect = with({"image", "inspect", "podman-check:1"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  auto config = nlohmann::json::parse(inspect.out)[0]["Config"];
  EXPECT_EQ(config["Entrypoint"],
            nlohmann::json({"/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--"}));
  EXPECT_EQ(config["Cmd"], cmd);
  EXPECT_EQ(config["User"], "1234:5678");
  EXPECT_EQ(config["WorkingDir"], "/tmp");
  EXPECT_EQ(config["StopSignal"], "SIGTERM");
  EXPECT_EQ(config["Labels"]["team"], "pay ments");
  EXPECT_TRUE(config["ExposedPorts"].contains("5000/tcp"));
  auto env = config["Env"].get<std::vector<std::string>>();
  EXPECT_THAT(env, ::testing::Contains("AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000"));
  EXPECT_THAT(env, ::testing::Contains("MOTD=pay $5 \"now\""));
  with({"rmi", "-f", "podman-check:1"});
}

}  // namespace
}  // namespace xb::test
