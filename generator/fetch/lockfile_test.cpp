#include "fetch/lockfile.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {
namespace {

const std::string kHex(64, 'a');

TEST(Lockfile, FormatIsDeterministicAndSorted) {
  LockFile lock;
  lock.daemon["arm64"] = {"https://x/arm64.deb", std::string(64, 'b'), 2, "", std::nullopt, std::nullopt};
  lock.daemon["amd64"] = {"https://x/amd64.deb", kHex, 1, "", std::nullopt, std::nullopt};
  EXPECT_EQ(format_lockfile(lock),
            "{\n"
            "  \"daemon\": {\n"
            "    \"amd64\": {\n"
            "      \"sha256\": \"" + kHex + "\",\n"
            "      \"size\": 1,\n"
            "      \"url\": \"https://x/amd64.deb\"\n"
            "    },\n"
            "    \"arm64\": {\n"
            "      \"sha256\": \"" + std::string(64, 'b') + "\",\n"
            "      \"size\": 2,\n"
            "      \"url\": \"https://x/arm64.deb\"\n"
            "    }\n"
            "  },\n"
            "  \"lockfileVersion\": 1\n"
            "}\n");
}

TEST(Lockfile, RoundTrips) {
  test::TempDir dir;
  LockFile lock;
  lock.daemon["amd64"] = {"file:///m/a.deb", kHex, 12345, "", std::nullopt, std::nullopt};
  write_lockfile(dir / "xraybake.lock", lock);
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock"), lock);
  // With what newer locks add: the package's version and the layer a build made.
  lock.daemon["amd64"].version = "3.6.6";
  lock.daemon["amd64"].layer =
      LayerPin{"sha256:" + std::string(64, 'c'), "sha256:" + std::string(64, 'd'), 99, "daemon-layer/1", 1700000000, {}};
  write_lockfile(dir / "xraybake.lock", lock);
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock"), lock);
  EXPECT_NE(read_file(dir / "xraybake.lock").find("\"version\": \"3.6.6\""), std::string::npos);
  // And what lets a build do without the .deb: the layer's files and the package's facts.
  lock.daemon["amd64"].layer->files = {{"/usr/bin/xray", 42, std::string(64, 'e'), std::string(40, 'f')},
                                       {"/opt/x/y", 0, std::string(64, '0'), std::string(40, '1')}};
  lock.daemon["amd64"].package = PackageFacts{"xray", "AWS <x@example.com>", "", "https://aws.amazon.com", "X-Ray", ""};
  write_lockfile(dir / "xraybake.lock", lock);
  EXPECT_EQ(read_lockfile(dir / "xraybake.lock"), lock);
  EXPECT_EQ(format_lockfile(*read_lockfile(dir / "xraybake.lock")), read_file(dir / "xraybake.lock"));
  EXPECT_FALSE(read_lockfile(dir / "missing.lock").has_value());
}

TEST(Lockfile, BesideTheDescriptor) {
  EXPECT_EQ(lockfile_path("svc/xraybake.yaml"), std::filesystem::path("svc/xraybake.lock"));
  EXPECT_EQ(lockfile_path("xraybake.yaml"), std::filesystem::path("xraybake.lock"));
}

TEST(Lockfile, RejectsDamagedFilesAsBadInput) {
  test::TempDir dir;
  for (std::string text : std::vector<std::string>{"not json", "{\"lockfileVersion\": 2}",
                           "{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"url\": \"u\", \"size\": 1}}}",
                           "{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"url\": \"u\", \"size\": 1, \"sha256\": \"XYZ\"}}}",
                           "{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"url\": \"u\", \"size\": 1, \"sha256\": \"" +
                               kHex + "\", \"layer\": {\"digest\": \"sha256:x\"}}}}",
                           "{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"url\": \"u\", \"size\": 1, \"sha256\": \"" +
                               kHex + "\", \"package\": {\"name\": 7}}}}",
                           "{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"url\": \"u\", \"size\": 1, \"sha256\": \"" +
                               kHex + "\", \"layer\": {\"digest\": \"sha256:" + kHex + "\", \"diff_id\": \"sha256:" + kHex +
                               "\", \"format\": \"f\", \"size\": 1, \"source_date_epoch\": 0, \"files\": [{\"path\": "
                               "\"usr/bin/xray\", \"size\": 1, \"sha256\": \"" + kHex + "\", \"sha1\": \"x\"}]}}}}"}) {
    write_file_atomic(dir / "xraybake.lock", text);
    try {
      read_lockfile(dir / "xraybake.lock");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input) << text;
      EXPECT_NE(std::string(e.what()).find("xraybake.lock"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace xb
