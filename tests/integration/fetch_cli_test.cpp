// `xraybake fetch` as a user runs it: the real binary, a real descriptor,
// loopback servers, exit codes, stderr messages, --json, the lock file.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fixtures/fixtures.h"
#include "support/http_server.h"
#include "support/require.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string body_of(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 7));
  return s;
}

// The stand-in daemon's .deb for ARCH with an `_padding` member of N bytes
// (dpkg ignores members starting with '_'), so a test has a real package of
// the size it needs.
std::string padded_deb(const std::string& arch, size_t n, char seed) {
  std::string deb = read_file(fixtures::deb(arch));
  char header[61];
  std::snprintf(header, sizeof header, "%-16s%-12d%-6d%-6d%-8s%-10zu`\n", "_padding", 0, 0, 0, "100644", n);
  deb += std::string(header, 60) + body_of(n, seed);
  if (n % 2) deb += '\n';
  return deb;
}

class FetchCliTest : public ::testing::Test {
 protected:
  void write_descriptor(const std::string& base_url, const std::string& extra_xray = "",
                        const std::string& platforms = "[linux/amd64, linux/arm64]") {
    std::ofstream(dir / "xraybake.yaml") << "apiVersion: xraybake/v1\n"
                                            "service:\n"
                                            "  name: orders-api\n"
                                            "  base: oci:build/app-oci:latest\n"
                                            "  platforms: " << platforms << "\n"
                                            "xray:\n"
                                            "  version: 3.6.6\n"
                                            "  url: " << base_url << "/aws-xray-daemon-linux-{arch}-{version}.deb\n"
                                         << extra_xray;
  }

  RunResult xraybake(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {XB_XRAYBAKE_BIN, "--cache-dir", (dir / "cache").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> all = {{"XRAYBAKE_RETRY_BASE_MS", "10"}, {"XRAYBAKE_RETRY_MAX_MS", "50"},
                                              {"XRAYBAKE_STALL_TIMEOUT", "10"},   {"XRAYBAKE_DAEMON_URL", ""},
                                              {"http_proxy", ""},                {"HTTPS_PROXY", ""},
                                              {"https_proxy", ""}};
    for (auto& [k, v] : env) all[k] = v;
    return run_command(argv, all, dir.path().string());
  }

  TempDir dir;
  const std::string amd64 = padded_deb("amd64", 120000, 1);
  const std::string arm64 = padded_deb("arm64", 90000, 2);
  Handler by_arch = [this](const Request& r) {
    return Response::bytes(r.target.find("arm64") != std::string::npos ? arm64 : amd64);
  };
};

TEST_F(FetchCliTest, CacheLsVerifyClean) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""));
  ASSERT_EQ(xraybake({"fetch"}).exit_code, 0);
  RunResult ls = xraybake({"--json", "cache", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  auto items = nlohmann::json::parse(ls.out);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]["kind"], "deb");
  EXPECT_EQ(items[0]["version"], "3.6.6");
  EXPECT_THAT(xraybake({"cache", "ls"}).out, HasSubstr(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")));

  RunResult ok = xraybake({"cache", "verify"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const fs::path blob = dir / "cache/blobs/sha256" / sha256_hex(amd64);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(blob, std::ios::app) << "tampered";
  RunResult bad = xraybake({"cache", "verify"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr(blob.string()));
  EXPECT_FALSE(fs::exists(blob));

  EXPECT_EQ(xraybake({"cache", "clean", "--older-than", "soon"}).exit_code, 2);
  EXPECT_EQ(xraybake({"cache", "clean", "--older-than", "1d"}).exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(xraybake({"--json", "cache", "ls"}).out).size(), 1u);
  EXPECT_EQ(xraybake({"cache", "clean"}).exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(xraybake({"--json", "cache", "ls"}).out).empty());
}

TEST_F(FetchCliTest, HtmlPageFromAMirrorIsExit2NothingPinnedNothingCached) {
  HttpServer mirror(always("<html><head><title>502 Bad Gateway</title></head></html>\n"));
  write_descriptor("http://127.0.0.1:9", "", "[linux/amd64]");
  RunResult r = xraybake({"fetch"}, {{"XRAYBAKE_DAEMON_URL", mirror.url("/m/{arch}.deb")}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(mirror.url("/m/amd64.deb")));
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
  EXPECT_FALSE(fs::exists(dir / "cache/blobs/sha256") && !fs::is_empty(dir / "cache/blobs/sha256"));
}

TEST_F(FetchCliTest, FirstFetchWritesLockThenLockedJsonComesFromCache) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""));
  RunResult first = xraybake({"fetch"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("xraybake.lock"));
  EXPECT_THAT(first.err, HasSubstr(sha256_hex(amd64)));  // one plain line per file when not a terminal
  EXPECT_EQ(server.request_count(), 2u);

  auto lock = nlohmann::json::parse(read_file(dir / "xraybake.lock"));
  EXPECT_EQ(lock["daemon"]["amd64"]["sha256"], sha256_hex(amd64));
  EXPECT_EQ(lock["daemon"]["arm64"]["size"], arm64.size());
  EXPECT_EQ(lock["daemon"]["arm64"]["url"], server.url("/aws-xray-daemon-linux-arm64-3.6.6.deb"));

  RunResult second = xraybake({"--locked", "fetch", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(server.request_count(), 2u);
  auto out = nlohmann::json::parse(second.out);
  EXPECT_EQ(out["debs"]["arm64"]["sha256"], sha256_hex(arm64));
  EXPECT_EQ(out["debs"]["arm64"]["size"], arm64.size());
  EXPECT_EQ(out["debs"]["amd64"]["url"], server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb"));
  EXPECT_EQ(out["debs"]["amd64"]["downloaded"], false);
  EXPECT_EQ(read_file(out["debs"]["amd64"]["path"].get<std::string>()), amd64);
}

// libcurl is opened at the first request (generator/http/libcurl.cpp): a
// command that downloads nothing never maps it, nor the 26 libraries it needs.
TEST_F(FetchCliTest, LibcurlIsLoadedOnlyByACommandThatDownloads) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""));
  const std::map<std::string, std::string> trace = {{"LD_DEBUG", "files"}};
  RunResult first = xraybake({"fetch"}, trace);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("file=libcurl.so.4"));
  EXPECT_EQ(server.request_count(), 2u);

  RunResult cached = xraybake({"--locked", "fetch"}, trace);
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_THAT(cached.err, Not(HasSubstr("libcurl")));
  EXPECT_THAT(cached.err, Not(HasSubstr("libssl")));
  RunResult validate = xraybake({"validate"}, trace);
  EXPECT_THAT(validate.err, Not(HasSubstr("libcurl")));
}

TEST_F(FetchCliTest, QuietPrintsNothing) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""));
  RunResult r = xraybake({"-q", "fetch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
}

TEST_F(FetchCliTest, ProgressBarOnATerminal) {
  XB_REQUIRE_TOOL("script", "bsdutils");
  const std::string big = padded_deb("amd64", (8 << 20) - fs::file_size(fixtures::deb("amd64")) - 60, 3);
  HttpServer server(always(big));
  write_descriptor(server.url(""), "", "[linux/amd64]");
  std::string cmd = std::string(XB_XRAYBAKE_BIN) + " --cache-dir cache fetch";
  RunResult r = run_command({"script", "-qec", cmd, "/dev/null"}, {{"CI", ""}, {"XRAYBAKE_DAEMON_URL", ""}},
                            dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("\r\033[K"));  // redrawn in place
  EXPECT_THAT(r.out, HasSubstr("amd64  "));
  EXPECT_THAT(r.out, HasSubstr("8.0 MiB"));
}

TEST_F(FetchCliTest, PinMismatchIsExit2AndCachesNothing) {
  HttpServer server(by_arch);
  const std::string wrong = sha256_hex("not the daemon");
  write_descriptor(server.url(""), "  sha256: {amd64: \"" + wrong + "\"}\n", "[linux/amd64]");
  RunResult r = xraybake({"fetch"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")));
  EXPECT_THAT(r.err, HasSubstr(wrong));
  EXPECT_THAT(r.err, HasSubstr(sha256_hex(amd64)));
  EXPECT_FALSE(fs::exists(dir / "cache" / "blobs" / "sha256" / sha256_hex(amd64)));
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
}

TEST_F(FetchCliTest, NotFoundIsExit1WithTheLikelyCause) {
  HttpServer server(always_status(404));
  write_descriptor(server.url(""), "", "[linux/arm64]");
  RunResult r = xraybake({"fetch"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(server.url("/aws-xray-daemon-linux-arm64-3.6.6.deb") + ": HTTP 404"));
  EXPECT_THAT(r.err, HasSubstr("xray.version (3.6.6"));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(FetchCliTest, LockedWithoutPinIsExit2) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""));
  RunResult r = xraybake({"--locked", "fetch"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--locked"));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(FetchCliTest, OfflineMissNamesUrlAndDigest) {
  HttpServer server(by_arch);
  write_descriptor(server.url(""), "  sha256: {amd64: \"" + sha256_hex(amd64) + "\"}\n", "[linux/amd64]");
  RunResult r = xraybake({"--offline", "fetch"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")));
  EXPECT_THAT(r.err, HasSubstr(sha256_hex(amd64)));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(FetchCliTest, MirrorFromEnvironmentAndResumeAfterDrop) {
  HttpServer mirror(in_order({Response::dropped(amd64, 50000), Response::bytes(amd64)}));
  write_descriptor("http://127.0.0.1:9", "", "[linux/amd64]");
  RunResult r = xraybake({"fetch", "--json"}, {{"XRAYBAKE_DAEMON_URL", mirror.url("/m/{arch}.deb")}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(mirror.request_count(), 2u);
  EXPECT_EQ(mirror.requests()[1].header("range"), "bytes=50000-");
  EXPECT_EQ(nlohmann::json::parse(r.out)["debs"]["amd64"]["sha256"], sha256_hex(amd64));
}

TEST_F(FetchCliTest, TwoProcessesShareOneCacheAndDownloadOnce) {
  HttpServer server([this](const Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the second process arrives meanwhile
    return Response::bytes(amd64);
  });
  write_descriptor(server.url(""), "  sha256: {amd64: \"" + sha256_hex(amd64) + "\"}\n", "[linux/amd64]");
  RunResult a, b;
  std::thread ta([&] { a = xraybake({"fetch"}); });
  std::thread tb([&] { b = xraybake({"fetch"}); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_EQ(read_file(dir / "cache" / "blobs" / "sha256" / sha256_hex(amd64)), amd64);
  EXPECT_THAT(a.err + b.err, HasSubstr("(cached"));
}

// The fixture .debs are laid out and signed as AWS's are (see tests/fixtures).
TEST_F(FetchCliTest, SigningKeyAcceptsTheSignedFixtureDebAndRefusesTamperedOnes) {
  const std::string good = read_file(fixtures::deb("amd64"));
  const std::string tampered = read_file(fixtures::deb_tampered());
  const std::string unsigned_xz = read_file(fixtures::deb_xz_unsigned());
  HttpServer server([&](const Request& r) {
    if (r.target.rfind("/tampered/", 0) == 0) return Response::bytes(tampered);
    if (r.target.rfind("/unsigned/", 0) == 0) return Response::bytes(unsigned_xz);
    return Response::bytes(good);
  });
  const std::string key = "  signing_key: " + fixtures::signing_key_asc() + "\n";
  write_descriptor(server.url("/good"), key, "[linux/amd64]");
  RunResult ok = xraybake({"fetch"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  write_descriptor(server.url("/tampered"), key, "[linux/amd64]");
  fs::remove(dir / "xraybake.lock");
  RunResult bad = xraybake({"fetch"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr(server.url("/tampered/aws-xray-daemon-linux-amd64-3.6.6.deb")));
  EXPECT_THAT(bad.err, HasSubstr("signature"));
  EXPECT_FALSE(fs::exists(dir / "cache" / "blobs" / "sha256" / sha256_hex(tampered)));

  write_descriptor(server.url("/unsigned"), key, "[linux/amd64]");
  fs::remove(dir / "xraybake.lock");
  RunResult none = xraybake({"fetch"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("no _gpgorigin"));

  // The binary form of the key works as well.
  write_descriptor(server.url("/good"), "  signing_key: " + fixtures::signing_key_gpg() + "\n", "[linux/amd64]");
  fs::remove(dir / "xraybake.lock");
  EXPECT_EQ(xraybake({"fetch"}).exit_code, 0);
}

}  // namespace
}  // namespace xb::test
