// fetch_all against real HTTP servers on loopback: retries, resume, stalls,
// status codes, pins and the cache, through the real libcurl path.
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

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
using std::chrono::steady_clock;

class FetchNetworkTest : public FetchTest {};

TEST_F(FetchNetworkTest, FirstFetchPinsInLockAndCaches) {
  const std::string body = deb_body(20000), arm = deb_body(20000, 1, "arm64");
  HttpServer server(by_arch(body, arm));
  Descriptor d = descriptor(server.url(""), {"linux/amd64", "linux/arm64"});

  auto debs = fetch_all(d, options);
  ASSERT_EQ(debs.size(), 2u);
  EXPECT_EQ(debs[0].arch, "amd64");
  EXPECT_EQ(debs[1].arch, "arm64");
  EXPECT_EQ(debs[0].url, server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb"));
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  EXPECT_EQ(debs[0].size, body.size());
  EXPECT_TRUE(debs[0].downloaded);
  EXPECT_EQ(debs[0].path, fs::path(options.cache_dir) / "blobs" / "sha256" / sha256_hex(body));
  EXPECT_EQ(read_file(debs[0].path), body);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].target, "/aws-xray-daemon-linux-arm64-3.6.6.deb");

  auto lock = read_lockfile(dir / "xraybake.lock");
  ASSERT_TRUE(lock.has_value());
  EXPECT_EQ(lock->daemon.at("arm64").url, server.url("/aws-xray-daemon-linux-arm64-3.6.6.deb"));
  EXPECT_EQ(lock->daemon.at("arm64").sha256, sha256_hex(arm));
  EXPECT_EQ(lock->daemon.at("arm64").size, arm.size());
  EXPECT_EQ(lock->daemon.at("arm64").version, "3.6.6");  // the control file's, not xray.version
  EXPECT_EQ(debs[1].version, "3.6.6");

  // Second run: everything from the cache, nothing downloaded.
  auto again = fetch_all(d, options);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_FALSE(again[0].downloaded);
  EXPECT_EQ(again[0].path, debs[0].path);
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(FetchNetworkTest, DroppedConnectionResumesWithRange) {
  const std::string body = deb_body(200000);
  HttpServer server(in_order({Response::dropped(body, 70000), Response::bytes(body)}));

  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  ASSERT_EQ(server.request_count(), 2u);
  auto reqs = server.requests();
  EXPECT_EQ(reqs[0].header("range"), "");
  EXPECT_EQ(reqs[1].header("range"), "bytes=70000-");
  EXPECT_EQ(read_file(debs[0].path), body);
}

TEST_F(FetchNetworkTest, ServerIgnoringRangeRestartsFromZero) {
  const std::string body = deb_body(100000);
  Response broken = Response::dropped(body, 40000);
  broken.honour_range = false;
  Response whole = Response::bytes(body);
  whole.honour_range = false;
  HttpServer server(in_order({broken, whole}));

  auto debs = fetch_all(descriptor(server.url("")), options);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("range"), "bytes=40000-");  // asked, got a 200 with everything
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
  EXPECT_EQ(debs[0].size, body.size());
}

TEST_F(FetchNetworkTest, ServerErrorThenSuccess) {
  const std::string body = deb_body(5000);
  HttpServer server(in_order({Response::status_only(500), Response::status_only(503), Response::bytes(body)}));
  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, TooManyRequestsHonoursRetryAfter) {
  const std::string body = deb_body(5000);
  HttpServer server(in_order({Response::status_only(429, {{"Retry-After", "1"}}), Response::bytes(body)}));
  auto start = steady_clock::now();
  auto debs = fetch_all(descriptor(server.url("")), options);
  auto elapsed = steady_clock::now() - start;
  EXPECT_EQ(server.request_count(), 2u);
  // The backoff alone would be <= 50 ms here; only Retry-After explains a second.
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, NotFoundFailsAtOnceNamingUrlAndCause) {
  HttpServer server(always_status(404));
  Descriptor d = descriptor(server.url(""));
  {
    Error e = expect_error([&] { fetch_all(d, options); });
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos);
    EXPECT_NE(e.hint().find("xray.version (3.6.6"), std::string::npos);
    EXPECT_NE(e.hint().find("amd64"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 1u);  // never retried
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
}

TEST_F(FetchNetworkTest, ForbiddenIsNotRetried) {
  HttpServer server(always_status(403));
  EXPECT_THROW(fetch_all(descriptor(server.url("")), options), Error);
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(FetchNetworkTest, PersistentServerErrorGivesUpAfterRetries) {
  ::setenv("XRAYBAKE_RETRIES", "2", 1);
  HttpServer server(always_status(503));
  {
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("HTTP 503"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("3 attempts"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(files_under("blobs"), 0u);
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(FetchNetworkTest, StalledBodyIsCutAndResumed) {
  ::setenv("XRAYBAKE_STALL_TIMEOUT", "1", 1);
  const std::string body = deb_body(60000);
  HttpServer server(in_order({Response::stalled(body, 20000), Response::bytes(body)}));
  auto debs = fetch_all(descriptor(server.url("")), options);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("range"), "bytes=20000-");
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, WrongBytesForPinLeaveNothingInCache) {
  const std::string body = deb_body(8000);
  const std::string expected = sha256_hex("the bytes we pinned");
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  d.xray.sha256["amd64"] = expected;
  {
    Error e = expect_error([&] { fetch_all(d, options); });
    std::string msg = e.what();
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(msg.find(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")), std::string::npos);
    EXPECT_NE(msg.find(expected), std::string::npos);
    EXPECT_NE(msg.find(sha256_hex(body)), std::string::npos);
  }
  EXPECT_EQ(files_under("blobs"), 0u);
  EXPECT_EQ(files_under("tmp"), 0u);
  EXPECT_EQ(files_under("index"), 0u);
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
}

TEST_F(FetchNetworkTest, LockedRefusesMissingPinWithoutNetwork) {
  HttpServer server(always(deb_body(100)));
  options.locked = true;
  {
    Error e = expect_error([&] { fetch_all(descriptor(server.url("")), options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("--locked"), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(FetchNetworkTest, LockedUsesLockAndRefusesChangedBytes) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  fetch_all(d, options);  // pins
  std::string lock_before = read_file(dir / "xraybake.lock");

  options.locked = true;
  EXPECT_EQ(fetch_all(d, options)[0].sha256, sha256_hex(body));

  // Other bytes under the same URL in a fresh cache: refused, lock untouched.
  HttpServer other(always(deb_body(3000, 7)));
  options.cache_dir = (dir / "cache2").string();
  Descriptor moved = d;
  LockFile lock = *read_lockfile(dir / "xraybake.lock");
  ::setenv("XRAYBAKE_DAEMON_URL", (other.url("") + "/aws-xray-daemon-linux-{arch}-{version}.deb").c_str(), 1);
  {
    Error e = expect_error([&] { fetch_all(moved, options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input) << e.what();
    EXPECT_NE(std::string(e.what()).find("mismatch"), std::string::npos);
  }
  EXPECT_EQ(read_file(dir / "xraybake.lock"), lock_before);
  EXPECT_EQ(files_under("blobs"), 0u);
}

TEST_F(FetchNetworkTest, LockedRefusesDescriptorPinDifferentFromLock) {
  const std::string body = deb_body(3000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  fetch_all(d, options);
  d.xray.sha256["amd64"] = sha256_hex("something else");
  options.locked = true;
  EXPECT_THROW(
      try { fetch_all(d, options); } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::bad_input);
        throw;
      },
      Error);
}

TEST_F(FetchNetworkTest, MirrorOverrideKeepsCanonicalUrlInLock) {
  const std::string body = deb_body(4000);
  HttpServer mirror(always(body));
  Descriptor d = descriptor("http://127.0.0.1:9");  // discard port: nothing listens
  ::setenv("XRAYBAKE_DAEMON_URL", (mirror.url("/mirror") + "/xray-{region}-{arch}-{version}.deb").c_str(), 1);
  auto debs = fetch_all(d, options);
  ASSERT_EQ(mirror.request_count(), 1u);
  EXPECT_EQ(mirror.requests()[0].target, "/mirror/xray-us-east-2-amd64-3.6.6.deb");
  EXPECT_EQ(debs[0].url, mirror.url("/mirror/xray-us-east-2-amd64-3.6.6.deb"));
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock")->daemon.at("amd64").url,
            "http://127.0.0.1:9/aws-xray-daemon-linux-amd64-3.6.6.deb");
}

TEST_F(FetchNetworkTest, OfflineUsesCacheOnlyAndNamesWhatIsMissing) {
  const std::string body = deb_body(4000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  options.offline = true;
  {
    Error e = expect_error([&] { fetch_all(d, options); });
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find(server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb")), std::string::npos);
  }
  d.xray.sha256["amd64"] = sha256_hex(body);
  {
    Error e = expect_error([&] { fetch_all(d, options); });
    EXPECT_NE(std::string(e.what()).find(sha256_hex(body)), std::string::npos);
  }
  EXPECT_EQ(server.request_count(), 0u);

  options.offline = false;
  fetch_all(d, options);
  options.offline = true;
  EXPECT_EQ(fetch_all(d, options)[0].sha256, sha256_hex(body));
  d.xray.sha256.clear();  // unpinned: found through the URL index
  EXPECT_EQ(fetch_all(d, options)[0].sha256, sha256_hex(body));
  EXPECT_EQ(server.request_count(), 1u);
}

TEST_F(FetchNetworkTest, CorruptCacheBlobIsFetchedAgain) {
  const std::string body = deb_body(4000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  auto debs = fetch_all(d, options);
  fs::permissions(debs[0].path, fs::perms::owner_write, fs::perm_options::add);
  write_file_atomic(debs[0].path, "garbage");
  auto again = fetch_all(d, options);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(read_file(again[0].path), body);
}

// Regression: a blob swapped in place with its stat() put back (what a
// forged seal looked like) was used without hashing. Every use hashes it.
TEST_F(FetchNetworkTest, BlobSwappedInPlaceIsNeverUsed) {
  const std::string body = deb_body(4000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  auto debs = fetch_all(d, options);
  struct stat before {};
  ASSERT_EQ(::stat(debs[0].path.c_str(), &before), 0);
  fs::permissions(debs[0].path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream edit(debs[0].path, std::ios::in | std::ios::out | std::ios::binary);
    edit.seekp(static_cast<std::streamoff>(body.size() - 100));
    edit << '!';
  }
  timespec times[2] = {{0, UTIME_OMIT}, before.st_mtim};  // same inode, size and mtime: the old seal matched
  ASSERT_EQ(::utimensat(AT_FDCWD, debs[0].path.c_str(), times, 0), 0);
  auto again = fetch_all(d, options);
  EXPECT_EQ(server.request_count(), 2u);
  EXPECT_EQ(read_file(again[0].path), body);
}

TEST_F(FetchNetworkTest, FileUrlWorks) {
  const std::string body = deb_body(3000);
  fs::create_directories(dir / "mirror");
  write_file_atomic(dir / "mirror" / "aws-xray-daemon-linux-amd64-3.6.6.deb", body);
  auto debs = fetch_all(descriptor("file://" + (dir / "mirror").string()), options);
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, MissingFileUrlNamesIt) {
  {
    Error e = expect_error([&] { fetch_all(descriptor("file://" + (dir / "nowhere").string()), options); });
    EXPECT_NE(std::string(e.what()).find((dir / "nowhere").string()), std::string::npos);
  }
}

TEST_F(FetchNetworkTest, UnsupportedSchemeIsBadInput) {
  {
    Error e = expect_error([&] { fetch_all(descriptor("ftp://127.0.0.1:9"), options); });
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
}

TEST_F(FetchNetworkTest, ConnectionRefusedIsRetriedThenRuntimeError) {
  ::setenv("XRAYBAKE_RETRIES", "1", 1);
  {
    Error e = expect_error([&] { fetch_all(descriptor("http://127.0.0.1:9"), options); });
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("2 attempts"), std::string::npos);
  }
}

TEST_F(FetchNetworkTest, HttpProxyFromEnvironmentIsUsed) {
  const std::string body = deb_body(2000);
  HttpServer proxy(always(body));  // answers the absolute-form request a proxy gets
  ::setenv("http_proxy", proxy.url("").c_str(), 1);
  auto debs = fetch_all(descriptor("http://daemon-mirror.invalid"), options);
  ASSERT_EQ(proxy.request_count(), 1u);
  EXPECT_EQ(proxy.requests()[0].target, "http://daemon-mirror.invalid/aws-xray-daemon-linux-amd64-3.6.6.deb");
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, NoProxyBypassesTheProxy) {
  const std::string body = deb_body(2000);
  HttpServer server(always(body));
  ::setenv("http_proxy", "http://127.0.0.1:9", 1);  // would fail
  ::setenv("NO_PROXY", "127.0.0.1", 1);
  auto debs = fetch_all(descriptor(server.url("")), options);
  EXPECT_EQ(server.requests()[0].target, "/aws-xray-daemon-linux-amd64-3.6.6.deb");
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

TEST_F(FetchNetworkTest, ConcurrentFetchesIntoOneCacheDownloadOnce) {
  const std::string body = deb_body(50000);
  HttpServer server([&](const Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // both fetchers overlap
    return Response::bytes(body);
  });
  Descriptor d = descriptor(server.url(""));
  d.xray.sha256["amd64"] = sha256_hex(body);
  std::vector<FetchedDeb> a, b;
  std::thread t1([&] { a = fetch_all(d, options); });
  std::thread t2([&] { b = fetch_all(d, options); });
  t1.join();
  t2.join();
  EXPECT_EQ(server.request_count(), 1u);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].path, b[0].path);
  EXPECT_NE(a[0].downloaded, b[0].downloaded);
  EXPECT_EQ(read_file(a[0].path), body);
}

}  // namespace
}  // namespace xb::test

namespace xb::test {
namespace {

class FetchLeftoverTest : public FetchTest {
 protected:
  fs::path partial_for(const std::string& url) {
    return fs::path(options.cache_dir) / "tmp" / (sha256_hex(url) + ".partial");
  }
};

TEST_F(FetchLeftoverTest, PinnedDownloadKilledMidwayResumesInTheNextRun) {
  ::setenv("XRAYBAKE_RETRIES", "0", 1);
  const std::string body = deb_body(90000);
  HttpServer server(in_order({Response::dropped(body, 30000), Response::bytes(body)}));
  Descriptor d = descriptor(server.url(""));
  d.xray.sha256["amd64"] = sha256_hex(body);
  EXPECT_EQ(expect_error([&] { fetch_all(d, options); }).code(), ExitCode::runtime);
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  ASSERT_TRUE(fs::exists(partial_for(url)));
  EXPECT_EQ(fs::file_size(partial_for(url)), 30000u);

  auto debs = fetch_all(d, options);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[1].header("range"), "bytes=30000-");
  EXPECT_EQ(read_file(debs[0].path), body);
  EXPECT_EQ(files_under("tmp"), 0u);
}

TEST_F(FetchLeftoverTest, StaleLeftoverIsDiscardedAndFetchedFromZero) {
  const std::string body = deb_body(50000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  d.xray.sha256["amd64"] = sha256_hex(body);
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  fs::create_directories(partial_for(url).parent_path());
  write_file_atomic(partial_for(url), payload(20000, 9));  // another file's beginning

  auto debs = fetch_all(d, options);
  ASSERT_EQ(server.request_count(), 2u);
  EXPECT_EQ(server.requests()[0].header("range"), "bytes=20000-");
  EXPECT_EQ(server.requests()[1].header("range"), "");
  EXPECT_EQ(read_file(debs[0].path), body);
}

TEST_F(FetchLeftoverTest, UnpinnedDownloadNeverTrustsALeftover) {
  const std::string body = deb_body(50000);
  HttpServer server(always(body));
  Descriptor d = descriptor(server.url(""));
  const std::string url = server.url("/aws-xray-daemon-linux-amd64-3.6.6.deb");
  fs::create_directories(partial_for(url).parent_path());
  write_file_atomic(partial_for(url), payload(20000, 9));

  auto debs = fetch_all(d, options);
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].header("range"), "");
  EXPECT_EQ(debs[0].sha256, sha256_hex(body));
}

}  // namespace
}  // namespace xb::test

namespace xb::test {
namespace {

TEST_F(FetchTest, LockDropsPlatformsNoLongerListedAndKeepsOthersByteForByte) {
  HttpServer server(by_arch(deb_body(3000), deb_body(3000, 1, "arm64")));
  fetch_all(descriptor(server.url(""), {"linux/amd64", "linux/arm64"}), options);
  const std::string both = read_file(dir / "xraybake.lock");
  fetch_all(descriptor(server.url(""), {"linux/amd64", "linux/arm64"}), options);
  EXPECT_EQ(read_file(dir / "xraybake.lock"), both);  // unchanged pins: same bytes

  fetch_all(descriptor(server.url(""), {"linux/amd64"}), options);
  auto lock = read_lockfile(dir / "xraybake.lock");
  EXPECT_EQ(lock->daemon.count("arm64"), 0u);
  EXPECT_EQ(lock->daemon.count("amd64"), 1u);
}

}  // namespace
}  // namespace xb::test
