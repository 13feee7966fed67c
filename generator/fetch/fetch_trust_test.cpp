// What fetch keeps and trusts: only a Debian package of the kind asked for is
// pinned or cached; a shared cache can not redirect a write or pass off other
// bytes; --locked never writes the lock.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "fetch/fetch.h"
#include "fetch/fetch_test_util.h"
#include "fetch/lockfile.h"
#include "support/http_server.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
namespace dt = deb::testing;

class FetchTrustTest : public FetchTest {
 protected:
  fs::path cache() const { return options.cache_dir; }
  void expect_nothing_kept() {
    EXPECT_EQ(files_under("blobs"), 0u);
    EXPECT_EQ(files_under("index"), 0u);
    EXPECT_EQ(files_under("tmp"), 0u);
    EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
  }
};

TEST_F(FetchTrustTest, HtmlErrorPageServedWith200IsRefusedNothingPinnedNothingCached) {
  HttpServer server(always("<!DOCTYPE html>\n<html><body><h1>Service Unavailable</h1></body></html>\n"));
  Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")), std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("web page"), std::string::npos) << e.what();
  expect_nothing_kept();
}

TEST_F(FetchTrustTest, PackageOfAnotherArchOrNameIsRefusedBeforeItIsKept) {
  {
    HttpServer server(always(deb_body(2000, 1, "arm64")));  // the arm64 package where amd64 was asked for
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("arm64"), std::string::npos) << e.what();
    expect_nothing_kept();
  }
  {
    std::string control = dt::make_tar({{"./", AE_IFDIR, 0755},
                                        {"./control", AE_IFREG, 0644,
                                         "Package: nginx\nVersion: 1.22\nArchitecture: amd64\n"}});
    std::string binary = dt::fake_elf("amd64", 64) + payload(500);
    HttpServer server(always(dt::make_ar({{"debian-binary", "2.0\n"},
                                          {"control.tar.gz", control},
                                          {"data.tar.gz", dt::make_tar(dt::daemon_entries(binary))}})));
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("'nginx'"), std::string::npos) << e.what();
    expect_nothing_kept();
  }
  {
    // The right control file, but no daemon in data.tar.
    std::string data = dt::make_tar({{"./", AE_IFDIR, 0755}, {"./README", AE_IFREG, 0644, "hi"}});
    HttpServer server(always(dt::make_deb_from("amd64", data)));
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("usr/bin/xray"), std::string::npos) << e.what();
    expect_nothing_kept();
  }
}

// Another kind behind the seam: the X-Ray daemon's URL and pins, but another package and binary.
class OtherPackageAgent final : public agents::Agent {
 public:
  std::string_view kind() const override { return "other-agent"; }
  agents::Package package(const Descriptor& d) const override { return xray().package(d); }
  std::string_view package_name() const override { return "aws-otel-collector"; }
  std::string_view example_version() const override { return "0.49.0"; }
  int memory_mib(const Descriptor&) const override { return 80; }
  std::vector<agents::LayerFile> layer_files() const override {
    return {{"opt/aws/aws-otel-collector/bin/aws-otel-collector", "/awscollector", 0755}};
  }
  void check(Problems&, Descriptor&) const override {}
  std::vector<agents::ConfigFile> config_files(const Descriptor&) const override { return {}; }
  std::vector<std::string> writable_dirs(const Descriptor&) const override { return {}; }
  std::vector<std::string> argv(const Descriptor&) const override { return {"/awscollector"}; }
  std::optional<std::string> supervisor_log(const Descriptor&) const override { return std::nullopt; }
  std::vector<std::string> ready_probes(const Descriptor&) const override { return {}; }
  agents::Env agent_env(const Descriptor&) const override { return {}; }
  agents::Env app_env(const Descriptor&) const override { return {}; }
  Millis min_flush_grace(const Descriptor&) const override { return Millis{0}; }
  std::optional<std::string> support_notice(const Descriptor&) const override { return std::nullopt; }

 private:
  static const agents::Agent& xray() { return *agents::find_agent("xray-daemon"); }
};

TEST_F(FetchTrustTest, TheExpectedPackageIsTheAgentsOwn) {
  for (const auto& kind : agents::agent_kinds()) {
    const agents::Agent& agent = *agents::find_agent(kind);
    ExpectedPackage expected = expected_package(agent);
    EXPECT_EQ(expected.name, agent.package_name()) << kind;
    EXPECT_EQ(expected.binary, agent.layer_files().front().from) << kind;
  }
  HttpServer server(always(deb_body(2000)));  // the X-Ray daemon's .deb
  Descriptor d = descriptor(server.url(""));
  EXPECT_EQ(fetch_all(d, options).size(), 1u);  // the kind of the descriptor: xray-daemon, accepted
  fs::remove_all(cache());
  fs::remove(dir / "xraybake.lock");
  Error e = expect_error([&] { fetch_all(d, OtherPackageAgent(), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("not 'aws-otel-collector'"), std::string::npos) << e.what();
  expect_nothing_kept();

  // The right Package, but not the agent's binary.
  std::string control = dt::make_tar({{"./", AE_IFDIR, 0755},
                                      {"./control", AE_IFREG, 0644,
                                       "Package: aws-otel-collector\nVersion: 0.49.0-1\nArchitecture: amd64\n"}});
  std::string binary = dt::fake_elf("amd64", 64) + payload(500);
  HttpServer named(always(dt::make_ar({{"debian-binary", "2.0\n"},
                                       {"control.tar.gz", control},
                                       {"data.tar.gz", dt::make_tar(dt::daemon_entries(binary))}})));
  e = expect_error([&] { fetch_all(descriptor(named.url("")), OtherPackageAgent(), options); });
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  EXPECT_NE(std::string(e.what()).find("opt/aws/aws-otel-collector/bin/aws-otel-collector"), std::string::npos)
      << e.what();
  expect_nothing_kept();
}

// Regression: --locked dropped the pins of platforms no longer listed (and
// would add the version to an old lock).
TEST_F(FetchTrustTest, LockedNeverRewritesTheLock) {
  HttpServer server(by_arch(deb_body(3000), deb_body(3000, 1, "arm64")));
  fetch_all(descriptor(server.url(""), {"linux/amd64", "linux/arm64"}), options);
  // An older lock: no version.
  LockFile old = *read_lockfile(dir / "xraybake.lock");
  for (auto& [arch, e] : old.daemon) e.version.clear();
  write_lockfile(dir / "xraybake.lock", old);
  const std::string before = read_file(dir / "xraybake.lock");
  struct stat st_before {};
  ASSERT_EQ(::stat((dir / "xraybake.lock").c_str(), &st_before), 0);

  options.locked = true;
  auto debs = fetch_all(descriptor(server.url(""), {"linux/amd64"}), options);
  EXPECT_EQ(debs[0].version, "3.6.6");
  debs[0].layer = LayerPin{"sha256:" + std::string(64, 'a'), "sha256:" + std::string(64, 'b'), 1, "f", 0, {}};
  record_layers(descriptor(server.url(""), {"linux/amd64"}), options, debs);
  struct stat st_after {};
  ASSERT_EQ(::stat((dir / "xraybake.lock").c_str(), &st_after), 0);
  EXPECT_EQ(read_file(dir / "xraybake.lock"), before);
  EXPECT_EQ(st_after.st_ino, st_before.st_ino);
  EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
  EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);

  // Without --locked the same run records the version and drops arm64.
  options.locked = false;
  fetch_all(descriptor(server.url(""), {"linux/amd64"}), options);
  auto lock = *read_lockfile(dir / "xraybake.lock");
  EXPECT_EQ(lock.daemon.count("arm64"), 0u);
  EXPECT_EQ(lock.daemon.at("amd64").version, "3.6.6");
}

TEST_F(FetchTrustTest, LockRecordsTheCanonicalUrlWithoutCredentials) {
  HttpServer server(always(deb_body(2000)));
  std::string base = server.url("");
  base.insert(base.find("://") + 3, "user:s3cret@");
  Descriptor d = descriptor(base);
  d.xray.url += "?X-Amz-Signature=feedface";
  auto debs = fetch_all(d, options);
  const std::string lock = read_file(dir / "xraybake.lock");
  EXPECT_EQ(lock.find("s3cret"), std::string::npos) << lock;
  EXPECT_EQ(lock.find("feedface"), std::string::npos) << lock;
  EXPECT_EQ(debs[0].url.find("s3cret"), std::string::npos);
  // As everything shown (util/redact.h): no user or password, every query value REDACTED.
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock")->daemon.at("amd64").url,
            server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb") + "?X-Amz-Signature=REDACTED");
  for (const auto& e : fs::recursive_directory_iterator(cache() / "index"))
    if (e.is_regular_file()) {
      EXPECT_EQ(read_file(e.path()).find("s3cret"), std::string::npos);
    }
  // The same descriptor again: the pin is found (the redacted URLs match),
  // also when the URL is signed anew.
  EXPECT_FALSE(fetch_all(d, options)[0].downloaded);
  d.xray.url.replace(d.xray.url.find("feedface"), 8, "c0ffee00");
  options.locked = true;
  EXPECT_FALSE(fetch_all(d, options)[0].downloaded);
}

// A co-tenant of the cache plants symlinks where xraybake writes: none is
// followed, the files they point at stay as they were.
TEST_F(FetchTrustTest, PlantedSymlinksNeverRedirectAWrite) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body));
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  const std::string key = sha256_hex(url);
  const fs::path victim = dir / "victim.txt";
  write_file_atomic(victim, "precious\n");
  for (const char* sub : {"index/url", "locks", "tmp", "blobs/sha256"}) fs::create_directories(cache() / sub);
  const fs::path planted[] = {cache() / "index/url" / key, cache() / "locks" / (key + ".lock"),
                              cache() / "tmp" / (key + ".partial"), cache() / "blobs/sha256" / sha256_hex(body)};
  for (const auto& p : planted) fs::create_symlink(victim, p);

  Descriptor d = descriptor(server.url(""));
  d.xray.sha256["amd64"] = sha256_hex(body);  // pinned: the leftover partial would be resumed
  auto debs = fetch_all(d, options);
  EXPECT_EQ(read_file(debs[0].path), body);
  EXPECT_EQ(read_file(victim), "precious\n");
  EXPECT_FALSE(fs::is_symlink(debs[0].path));
  EXPECT_FALSE(fs::is_symlink(planted[0]));
  EXPECT_EQ(server.requests()[0].header("range"), "");  // the planted partial was not resumed

  // A symlinked cache directory is refused, not written through.
  fs::remove_all(cache() / "index");
  fs::create_directories(dir / "elsewhere");
  fs::create_symlink(dir / "elsewhere", cache() / "index");
  options.refresh = true;
  Error e = expect_error([&] { fetch_all(d, options); });
  EXPECT_EQ(e.code(), ExitCode::runtime);
  EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  EXPECT_TRUE(fs::is_empty(dir / "elsewhere"));
}

// An unpinned fetch takes nothing from the cache: what the index says a URL
// gave is written by whoever wrote the cache.
TEST_F(FetchTrustTest, UnpinnedFetchIgnoresAPlantedIndexEntry) {
  const std::string body = deb_body(3000), planted = deb_body(3000, 5);
  HttpServer server(always(body));
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  fs::create_directories(cache() / "index/url");
  fs::create_directories(cache() / "blobs/sha256");
  write_file_atomic(cache() / "blobs/sha256" / sha256_hex(planted), planted);
  write_file_atomic(cache() / "index/url" / sha256_hex(url),
                    "{\"url\": \"" + url + "\", \"sha256\": \"" + sha256_hex(planted) + "\", \"size\": 1}");
  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock")->daemon.at("amd64").sha256, sha256_hex(body));
}

// --offline without a pin does read the index; a digest there that is a path
// (which a failed check would have removed) is not one.
TEST_F(FetchTrustTest, IndexEntryNamingAPathIsIgnored) {
  HttpServer server(always(deb_body(3000)));
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  write_file_atomic(dir / "victim", "precious");
  fs::create_directories(cache() / "index/url");
  write_file_atomic(cache() / "index/url" / sha256_hex(url),
                    "{\"url\": \"" + url + "\", \"sha256\": \"../../../victim\", \"size\": 1}");
  options.offline = true;
  EXPECT_EQ(expect_error([&] { fetch_all(descriptor(server.url("")), options); }).code(), ExitCode::runtime);
  EXPECT_EQ(read_file(dir / "victim"), "precious");
}

TEST_F(FetchTrustTest, RefreshDownloadsAgainAndStillChecksThePin) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  fetch_all(d, options);
  options.refresh = true;
  auto again = fetch_all(d, options);
  EXPECT_TRUE(again[0].downloaded);
  EXPECT_EQ(server.request_count(), 2u);
  HttpServer other(always(deb_body(3000, 4)));
  ::setenv("XRAYBAKE_DAEMON_URL", (other.url("") + "/aws-xray-daemon-linux-{arch}-{version}.deb").c_str(), 1);
  EXPECT_EQ(expect_error([&] { fetch_all(d, options); }).code(), ExitCode::bad_input);
  ::unsetenv("XRAYBAKE_DAEMON_URL");
}

}  // namespace
}  // namespace xb::test
