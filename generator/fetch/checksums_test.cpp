#include "fetch/checksums.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/http_server.h"
#include "util/error.h"

namespace xb {
namespace {

using ::testing::HasSubstr;

const std::string kA(64, 'a'), kB(64, 'b');

TEST(Checksums, FindsTheLineOfTheFileInEitherMode) {
  std::string text = kA + "  otelcol-contrib_0.131.0_linux_amd64.deb\n" + std::string(64, 'C') +
                     " *otelcol-contrib_0.131.0_linux_arm64.deb\r\nnot a line\n" + kB + "  otelcol_0.131.0_linux_amd64.deb\n";
  EXPECT_EQ(checksum_for(text, "otelcol-contrib_0.131.0_linux_amd64.deb", "sums"), kA);
  EXPECT_EQ(checksum_for(text, "otelcol-contrib_0.131.0_linux_arm64.deb", "sums"), std::string(64, 'c'));
  EXPECT_EQ(checksum_for(text, "otelcol-contrib_0.131.0_linux_riscv64.deb", "sums"), std::nullopt);
  EXPECT_EQ(checksum_for(text, "linux_amd64.deb", "sums"), std::nullopt);  // whole names only
}

TEST(Checksums, TheSameNameWithTwoSumsIsRefused) {
  std::string text = kA + "  x.deb\n" + kB + "  x.deb\n";
  try {
    checksum_for(text, "x.deb", "sums.txt");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), HasSubstr("sums.txt:2: x.deb is listed twice"));
  }
}

TEST(Checksums, BesideKeepsTheDirectoryAndDropsTheQuery) {
  EXPECT_EQ(beside("https://h/releases/download/v1/a.deb?X-Amz-Signature=s", "sums.txt"), "https://h/releases/download/v1/sums.txt");
  EXPECT_EQ(beside("file:///srv/a.deb", "sums.txt"), "file:///srv/sums.txt");
}

TEST(Checksums, ReleaseChecksumDownloadsTheFileBesideTheDeb) {
  test::HttpServer server([](const test::Request& r) {
    if (r.target == "/v1/sums.txt") return test::Response::bytes(kA + "  a_linux_amd64.deb\n");
    return test::Response::status_only(404);
  });
  EXPECT_EQ(release_checksum(server.url("/v1/a_linux_amd64.deb"), "sums.txt", NetSettings{}), kA);
  try {
    release_checksum(server.url("/v1/b_linux_amd64.deb"), "sums.txt", NetSettings{});
    FAIL() << "accepted a .deb the checksums file does not list";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_THAT(e.what(), HasSubstr("has no sha256 line for b_linux_amd64.deb"));
  }
  try {
    release_checksum(server.url("/v2/a_linux_amd64.deb"), "sums.txt", NetSettings{});
    FAIL() << "no checksums file, yet accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_THAT(e.what(), HasSubstr("HTTP 404 for the release's checksums file"));
  }
}

}  // namespace
}  // namespace xb
