// Credentials in XRAYBAKE_DAEMON_URL (user:password@, a presigned query)
// reach the mirror and nothing else: not OUT (labels, history, build.json),
// not the cache, not stdout or stderr, also of a failing run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/http_server.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "s3cret";
constexpr const char* kSignature = "abc0ff1ce5ec7e7";

class SecretsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE(fs::exists(fixtures::base_oci() + "/index.json"),
               "no base-oci fixture: umoci or busybox-static was missing when CMake ran");
    spit(tmp / "svc" / "xraybake.yaml",
         "apiVersion: xraybake/v1\nservice:\n  name: secret-svc\n  base: oci:" + fixtures::base_oci() +
             ":latest\n  platforms: [linux/amd64]\n  command: [/usr/local/bin/standin-app]\n  tag: secret-svc:1.0\n"
             "xray:\n  version: 3.6.6\n");
  }

  RunResult build(const std::string& mirror) {
    std::vector<std::string> argv{XB_XRAYBAKE_BIN, "-v", "--cache-dir", (tmp / "cache").string(), "build", "-o",
                                  (tmp / "out").string()};
    return run_command(argv,
                       {{"XRAYBAKE_DAEMON_URL", mirror}, {"SOURCE_DATE_EPOCH", "1700000000"},
                        {"XRAYBAKE_RETRY_BASE_MS", "10"}, {"XRAYBAKE_RETRY_MAX_MS", "20"}, {"http_proxy", ""}},
                       (tmp / "svc").string());
  }

  // Every file under DIR that holds NEEDLE.
  static std::vector<std::string> files_holding(const fs::path& dir, const std::string& needle) {
    std::vector<std::string> hits;
    std::error_code ec;
    if (!fs::exists(dir)) return hits;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (e.is_regular_file() && slurp(e.path()).find(needle) != std::string::npos) hits.push_back(e.path().string());
      if (e.path().filename().string().find(needle) != std::string::npos) hits.push_back(e.path().string());
    }
    return hits;
  }

  void expect_no_secret(const RunResult& r) {
    for (const std::string s : {kPassword, kSignature}) {
      EXPECT_EQ(r.out.find(s), std::string::npos) << "stdout holds " << s << ":\n" << r.out;
      EXPECT_EQ(r.err.find(s), std::string::npos) << "stderr holds " << s << ":\n" << r.err;
      for (const auto& d : {tmp / "out", tmp / "cache", tmp / "svc"})
        EXPECT_EQ(files_holding(d, s), std::vector<std::string>{}) << s << " under " << d;
    }
  }

  TempDir tmp;
};

TEST_F(SecretsCli, MirrorCredentialsNeverReachOutputsCacheOrConsole) {
  const std::string deb = slurp(fixtures::deb("amd64", "3.6.6"));
  HttpServer mirror([&](const Request& r) {
    if (r.target.rfind("/mirror/aws-xray-daemon-linux-amd64-3.6.6.deb?", 0) == 0) return Response::bytes(deb);
    return Response::status_only(404);
  });
  std::string url = "http://ci:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(mirror.port()) +
                    "/mirror/aws-xray-daemon-linux-{arch}-{version}.deb?X-Amz-Signature=" + kSignature +
                    "&X-Amz-Credential=AKIA%2F20260101";
  RunResult r = build(url);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The mirror got them: Basic auth and the signed query.
  ASSERT_GE(mirror.request_count(), 1u);
  EXPECT_EQ(mirror.requests()[0].header("authorization"), "Basic Y2k6czNjcmV0");
  EXPECT_NE(mirror.requests()[0].target.find(kSignature), std::string::npos);
  expect_no_secret(r);
  // build.json says where the .deb came from, without the secrets.
  auto report = nlohmann::json::parse(slurp(tmp / "out" / "build.json"));
  std::string recorded = report["platforms"][0]["daemon"]["url"];
  EXPECT_EQ(recorded, "http://127.0.0.1:" + std::to_string(mirror.port()) +
                          "/mirror/aws-xray-daemon-linux-amd64-3.6.6.deb?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED");

  // A failing run (the mirror answers 404) says which URL, without the secrets.
  fs::remove_all(tmp / "cache");
  std::string missing = url;
  missing.replace(missing.find("/mirror/"), 8, "/gone/");
  RunResult failed = build(missing);
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_NE(failed.err.find("/gone/aws-xray-daemon-linux-amd64-3.6.6.deb?X-Amz-Signature=REDACTED"), std::string::npos)
      << failed.err;
  expect_no_secret(failed);

  // And one that cannot connect at all.
  std::string refused = url;
  refused.replace(refused.find(std::to_string(mirror.port())), std::to_string(mirror.port()).size(), "9");
  RunResult unreachable = run_command({XB_XRAYBAKE_BIN, "-v", "--cache-dir", (tmp / "cache").string(), "fetch"},
                                      {{"XRAYBAKE_DAEMON_URL", refused}, {"XRAYBAKE_RETRIES", "1"},
                                       {"XRAYBAKE_RETRY_BASE_MS", "10"}, {"http_proxy", ""}},
                                      (tmp / "svc").string());
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
  expect_no_secret(unreachable);
}

}  // namespace
}  // namespace xb::test
