#include "descriptor/exclude_globs.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(ExcludeGlobs, DoubleStarMatchesAnyDepthIncludingNone) {
  ExcludeRules r({"**/*.pdb"});
  EXPECT_TRUE(r.excluded("App.pdb"));
  EXPECT_TRUE(r.excluded("publish/App.pdb"));
  EXPECT_TRUE(r.excluded("publish/a/b/App.pdb"));
  EXPECT_FALSE(r.excluded("publish/App.dll"));
  EXPECT_FALSE(r.excluded("publish/App.pdb.txt"));
}

TEST(ExcludeGlobs, StarStaysInOneNameAndMatchesDotFiles) {
  ExcludeRules r({"publish/*.map"});
  EXPECT_TRUE(r.excluded("publish/a.map"));
  EXPECT_TRUE(r.excluded("publish/.map"));
  EXPECT_FALSE(r.excluded("publish/sub/a.map"));
  EXPECT_FALSE(r.excluded("a.map"));
}

TEST(ExcludeGlobs, ADirectoryExcludesWhatIsUnderIt) {
  ExcludeRules r({".git/", "/node_modules/.cache"});
  EXPECT_TRUE(r.excluded(".git"));
  EXPECT_TRUE(r.excluded(".git/objects/ab/cdef"));
  EXPECT_TRUE(r.excluded("node_modules/.cache/x"));
  EXPECT_FALSE(r.excluded("src/.git"));  // like .dockerignore: relative to the descriptor's directory
  EXPECT_FALSE(r.excluded(".gitignore"));
}

TEST(ExcludeGlobs, TheLastMatchingPatternDecides) {
  ExcludeRules r({"**/*.md", "!docs/README.md"});
  EXPECT_TRUE(r.has_exceptions());
  EXPECT_TRUE(r.excluded("CHANGES.md"));
  EXPECT_FALSE(r.excluded("docs/README.md"));
  EXPECT_TRUE(r.excluded("docs/other.md"));
  EXPECT_FALSE(ExcludeRules({"a"}).has_exceptions());
}

TEST(ExcludeGlobs, ClassesAndEscapes) {
  ExcludeRules r({"log[0-9].txt", "\\*star"});
  EXPECT_TRUE(r.excluded("log5.txt"));
  EXPECT_FALSE(r.excluded("logx.txt"));
  EXPECT_TRUE(r.excluded("*star"));
  EXPECT_FALSE(r.excluded("xstar"));
}

TEST(ExcludeGlobs, BadPatternsAreNamed) {
  EXPECT_FALSE(exclude_pattern_problem("**/*.pdb"));
  EXPECT_FALSE(exclude_pattern_problem("!keep.txt"));
  EXPECT_TRUE(exclude_pattern_problem(""));
  EXPECT_TRUE(exclude_pattern_problem("/"));
  EXPECT_TRUE(exclude_pattern_problem("./"));
  EXPECT_TRUE(exclude_pattern_problem("a["));
  EXPECT_TRUE(exclude_pattern_problem("a\\"));
  EXPECT_TRUE(exclude_pattern_problem("../secrets"));
  EXPECT_TRUE(exclude_pattern_problem("[a/b]"));
}

}  // namespace
}  // namespace xb
