#include "util/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "util/error.h"

namespace {

xb::fs::path fresh_dir(const std::string& name) {
  auto d = xb::fs::temp_directory_path() / ("xb-fs-test-" + name + "-" + std::to_string(::getpid()));
  xb::fs::remove_all(d);
  xb::fs::create_directories(d);
  return d;
}

TEST(Fs, AtomicWriteReplacesAndSetsMode) {
  auto d = fresh_dir("atomic");
  xb::write_file_atomic(d / "f", "one");
  xb::write_file_atomic(d / "f", "two", xb::fs::perms(0755));
  EXPECT_EQ(xb::read_file(d / "f"), "two");
  EXPECT_EQ(xb::fs::status(d / "f").permissions() & xb::fs::perms::all, xb::fs::perms(0755));
  int entries = 0;
  for ([[maybe_unused]] auto& e : xb::fs::directory_iterator(d)) ++entries;
  EXPECT_EQ(entries, 1) << "no temporary file left behind";
}

TEST(Fs, StagedWriteIgnoresTheUmaskAndLeavesNothingOnFailure) {
  auto d = fresh_dir("staged");
  mode_t old = ::umask(0077);
  xb::write_file(d / "run.sh", "#!/bin/sh\n", xb::fs::perms(0755));
  ::umask(old);
  EXPECT_EQ(xb::read_file(d / "run.sh"), "#!/bin/sh\n");
  EXPECT_EQ(xb::fs::status(d / "run.sh").permissions() & xb::fs::perms::all, xb::fs::perms(0755));
  EXPECT_THROW(xb::write_file(d / "missing" / "f", "x"), xb::Error);
  EXPECT_FALSE(xb::fs::exists(d / "missing"));
}

TEST(Fs, StagingDirVanishesWithoutCommit) {
  auto d = fresh_dir("staging");
  xb::fs::path staged;
  {
    xb::StagingDir s(d / "out");
    staged = s.path();
    xb::write_file_atomic(s.path() / "x", "x");
  }
  EXPECT_FALSE(xb::fs::exists(staged));
  EXPECT_FALSE(xb::fs::exists(d / "out"));
}

TEST(Fs, StagingDirCommitReplacesOldOutput) {
  auto d = fresh_dir("commit");
  xb::fs::create_directories(d / "out");
  xb::write_file_atomic(d / "out" / "stale", "old");
  xb::StagingDir s(d / "out");
  xb::write_file_atomic(s.path() / "new", "new");
  s.commit();
  EXPECT_TRUE(xb::fs::exists(d / "out" / "new"));
  EXPECT_FALSE(xb::fs::exists(d / "out" / "stale"));
}

TEST(Fs, ReadMissingFileNamesIt) {
  try {
    xb::read_file("/nonexistent/xraybake-file");
    FAIL();
  } catch (const xb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/xraybake-file"), std::string::npos);
    EXPECT_EQ(e.code(), xb::ExitCode::runtime);
  }
}

}  // namespace
