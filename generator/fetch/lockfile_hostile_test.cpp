// Lock files that the fuzzer (tests/fuzz/fuzz_lockfile) found or that a bad
// merge leaves: each must be a clear xb::Error naming the file, never another
// exception.
#include <gtest/gtest.h>

#include "fetch/lockfile.h"
#include "support/temp_dir.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {
namespace {

void expect_bad_input(const std::string& text) {
  test::TempDir dir;
  auto path = dir.path() / "xraybake.lock";
  write_file(path, text);
  try {
    read_lockfile(path);
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(LockfileHostile, ANumberOutOfRangeIsBadInput) { expect_bad_input("888e776\xff\ri {? {?N"); }
TEST(LockfileHostile, AHugeNumberInsideIsBadInput) { expect_bad_input("{\"lockfileVersion\": 1e999, \"daemon\": {}}"); }
TEST(LockfileHostile, ASizeThatIsNotAWholeNumberIsBadInput) {
  for (const char* size : {"2111111111111111111111111111111111144", "1.5", "-1", "\"12\""})
    expect_bad_input(std::string("{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"sha256\": \"") +
                     std::string(64, 'a') + "\", \"size\": " + size + ", \"url\": \"https://x/a.deb\"}}}");
}
TEST(LockfileHostile, ALayerNumberThatIsNotAWholeNumberIsBadInput) {
  const std::string digest = "\"sha256:" + std::string(64, 'b') + "\"";
  for (const char* n : {"2111111111111111111111111111111111144", "1.5", "\"12\""})
    for (bool size : {true, false})
      expect_bad_input(std::string("{\"lockfileVersion\": 1, \"daemon\": {\"amd64\": {\"sha256\": \"") +
                       std::string(64, 'a') + "\", \"size\": 1, \"url\": \"https://x/a.deb\", \"layer\": {\"digest\": " +
                       digest + ", \"diff_id\": " + digest + ", \"format\": \"daemon-layer/1\", \"size\": " +
                       (size ? n : "1") + ", \"source_date_epoch\": " + (size ? "0" : n) + "}}}}");
}
TEST(LockfileHostile, AVersionOfAnotherTypeIsBadInput) { expect_bad_input("{\"lockfileVersion\": \"1\", \"daemon\": {}}"); }

}  // namespace
}  // namespace xb
