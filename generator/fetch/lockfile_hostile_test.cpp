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
TEST(LockfileHostile, AVersionOfAnotherTypeIsBadInput) { expect_bad_input("{\"lockfileVersion\": \"1\", \"daemon\": {}}"); }

}  // namespace
}  // namespace xb
