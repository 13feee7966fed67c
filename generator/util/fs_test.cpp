#include "util/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <vector>

#include "util/error.h"

namespace {

xb::fs::path fresh_dir(const std::string& name) {
  auto d = xb::fs::temp_directory_path() / ("xb-fs-test-" + name + "-" + std::to_string(::getpid()));
  xb::fs::remove_all(d);
  xb::fs::create_directories(d);
  return xb::fs::canonical(d);
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

// A committed output, as a build leaves it.
void make_output(const xb::fs::path& target, const std::string& file, const std::string& text) {
  xb::StagingDir s(target);
  xb::write_file(s.path() / file, text);
  s.commit();
}

// The entries of DIR whose names start with PREFIX.
std::vector<std::string> entries_starting(const xb::fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (auto& e : xb::fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

std::string error_of(const std::function<void()>& f, xb::ExitCode* code = nullptr) {
  try {
    f();
  } catch (const xb::Error& e) {
    if (code) *code = e.code();
    return std::string(e.what()) + "\nhint: " + e.hint();
  }
  return "";
}

TEST(Fs, StagingDirCommitReplacesAnEarlierOutput) {
  auto d = fresh_dir("commit");
  make_output(d / "out", "stale", "old");
  EXPECT_TRUE(xb::fs::is_regular_file(d / "out" / xb::kOutputMarker));
  make_output(d / "out", "new", "new");
  EXPECT_TRUE(xb::fs::exists(d / "out" / "new"));
  EXPECT_FALSE(xb::fs::exists(d / "out" / "stale"));
  EXPECT_TRUE(entries_starting(d, ".out.").empty());
}

TEST(Fs, StagingDirReplacesAnOlderOutputWithBuildJsonOrAnEmptyDirectory) {
  auto d = fresh_dir("older");
  xb::fs::create_directories(d / "old");
  xb::write_file(d / "old" / "build.json", R"({"xraybake_version": "0.0.9", "platforms": []})");
  xb::write_file(d / "old" / "Dockerfile", "FROM x\n");
  make_output(d / "old", "Dockerfile", "FROM y\n");
  EXPECT_EQ(xb::read_file(d / "old" / "Dockerfile"), "FROM y\n");
  EXPECT_FALSE(xb::fs::exists(d / "old" / "build.json"));
  xb::fs::create_directories(d / "empty");
  make_output(d / "empty", "f", "x");
  EXPECT_EQ(xb::read_file(d / "empty" / "f"), "x");
}

TEST(Fs, StagingDirNeverReplacesSomeoneElsesData) {
  auto d = fresh_dir("refuse");
  xb::fs::create_directories(d / "data");
  xb::write_file(d / "data" / "thesis.tex", "years of work");
  xb::ExitCode code{};
  std::string msg = error_of([&] { xb::StagingDir s(d / "data"); }, &code);
  EXPECT_EQ(code, xb::ExitCode::bad_input);
  EXPECT_NE(msg.find((d / "data").string() + " is not empty and not an earlier xraybake output"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("hint: choose a new or empty output directory"), std::string::npos) << msg;
  // Nor files that only look like an output: a build.json of someone else's, a
  // marker that is a symbolic link, a plain file, a dangling link.
  xb::write_file(d / "data" / "build.json", R"({"name": "webpack"})");
  EXPECT_NE(error_of([&] { xb::StagingDir s(d / "data"); }), "");
  xb::fs::create_symlink(d / "data" / "thesis.tex", d / "data" / xb::kOutputMarker);
  EXPECT_NE(error_of([&] { xb::StagingDir s(d / "data"); }), "");
  xb::write_file(d / "notes", "mine");
  EXPECT_NE(error_of([&] { xb::StagingDir s(d / "notes"); }).find("is a file, not a directory"), std::string::npos);
  xb::fs::create_symlink(d / "nowhere", d / "dangling");
  EXPECT_NE(error_of([&] { xb::StagingDir s(d / "dangling"); }).find("symbolic link to nothing"), std::string::npos);
  EXPECT_EQ(xb::read_file(d / "data" / "thesis.tex"), "years of work");
  EXPECT_EQ(xb::read_file(d / "notes"), "mine");
  EXPECT_TRUE(entries_starting(d, ".data.").empty());
}

TEST(Fs, StagingDirNeverReplacesTheCurrentDirectoryAKeptOneOrTheirParents) {
  auto d = fresh_dir("keep");
  make_output(d / "a" / "b", "f", "x");  // an earlier output, so only the location refuses it
  auto cwd = xb::fs::current_path();
  xb::fs::current_path(d / "a" / "b");
  std::string here = error_of([&] { xb::StagingDir s("."); });
  std::string parent = error_of([&] { xb::StagingDir s(".."); });
  xb::fs::current_path(cwd);
  EXPECT_NE(here.find("it is the current directory"), std::string::npos) << here;
  EXPECT_NE(parent.find("it is a parent of the current directory"), std::string::npos) << parent;
  std::string kept = error_of([&] { xb::StagingDir s(d / "a" / "b", {d / "a" / "b"}); });
  EXPECT_NE(kept.find("which the build reads"), std::string::npos) << kept;
  EXPECT_NE(error_of([&] { xb::StagingDir s(d / "a", {d / "a" / "b" / "c"}); }), "");
  EXPECT_NE(error_of([&] { xb::StagingDir s("/"); }), "");
  EXPECT_TRUE(xb::fs::exists(d / "a" / "b" / "f"));
  // Below a kept directory is fine.
  make_output(d / "a" / "b" / "out", "f", "x");
}

TEST(Fs, StagingDirFollowsASymbolicLinkToAnOutput) {
  auto d = fresh_dir("link");
  make_output(d / "real", "f", "one");
  xb::fs::create_symlink(d / "real", d / "out");
  xb::StagingDir s(d / "out");
  EXPECT_EQ(s.target(), d / "real");
  xb::write_file(s.path() / "f", "two");
  s.commit();
  EXPECT_TRUE(xb::fs::is_symlink(d / "out"));
  EXPECT_EQ(xb::read_file(d / "out" / "f"), "two");
}

TEST(Fs, StagingDirCommitChecksTheTargetAgain) {
  auto d = fresh_dir("recheck");
  xb::StagingDir s(d / "out");
  xb::fs::create_directories(d / "out");
  xb::write_file(d / "out" / "mine", "arrived during the build");
  EXPECT_NE(error_of([&] { s.commit(); }), "");
  EXPECT_EQ(xb::read_file(d / "out" / "mine"), "arrived during the build");
}

// A build killed between the two renames of its commit: the old output moved
// aside, the complete new one still staged. The next one finishes the commit.
TEST(Fs, StagingDirFinishesACommitKilledBetweenItsRenames) {
  auto d = fresh_dir("repair");
  make_output(d / "old", "f", "old");
  make_output(d / "new", "f", "new");
  xb::fs::rename(d / "old", d / ".out.old-abc123");
  xb::fs::rename(d / "new", d / ".out.partial-abc123");
  xb::fs::create_directories(d / ".out.partial-dead00");  // a build killed earlier
  {
    xb::StagingDir s(d / "out");
    EXPECT_EQ(xb::read_file(d / "out" / "f"), "new");
    auto left = entries_starting(d, ".out.");
    ASSERT_EQ(left.size(), 1u);  // this one's staging directory
    EXPECT_EQ(d / left[0], s.path());
  }
  // Without the staged output, the old one comes back.
  xb::fs::rename(d / "out", d / ".out.old-def456");
  xb::StagingDir s(d / "out");
  EXPECT_EQ(xb::read_file(d / "out" / "f"), "new");
  EXPECT_EQ(entries_starting(d, ".out.").size(), 1u);
}

TEST(Fs, StagingDirLeavesALiveBuildsStagingAlone) {
  auto d = fresh_dir("live");
  xb::StagingDir first(d / "out");
  xb::write_file(first.path() / "f", "first");
  {
    xb::StagingDir second(d / "out");
    EXPECT_TRUE(xb::fs::exists(first.path() / "f"));
    second.commit();
  }
  first.commit();
  EXPECT_EQ(xb::read_file(d / "out" / "f"), "first");
  EXPECT_TRUE(entries_starting(d, ".out.").empty());
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
