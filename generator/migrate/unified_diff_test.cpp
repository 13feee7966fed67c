#include "migrate/unified_diff.h"

#include <gtest/gtest.h>

#include <string>

namespace xb::migrate {
namespace {

std::string numbered(int from, int to, const std::string& eol = "\n") {
  std::string s;
  for (int i = from; i <= to; ++i) s += "l" + std::to_string(i) + eol;
  return s;
}

TEST(UnifiedDiff, EqualTextsGiveNothing) { EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "f"), ""); }

TEST(UnifiedDiff, OneChangeWithThreeLinesOfContext) {
  std::string a = numbered(1, 10);
  std::string b = a;
  b.replace(b.find("l5\n"), 3, "five\n");
  EXPECT_EQ(unified_diff(a, b, "f.yaml"),
            "--- f.yaml\n+++ f.yaml\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+five\n l6\n l7\n l8\n");
}

TEST(UnifiedDiff, ChangesFarApartAreSeparateHunksAndCloseOnesOne) {
  std::string a = numbered(1, 20);
  std::string b = a;
  b.replace(b.find("l2\n"), 3, "two\n");
  b.replace(b.find("l18\n"), 4, "");
  EXPECT_EQ(unified_diff(a, b, "f"),
            "--- f\n+++ f\n@@ -1,5 +1,5 @@\n l1\n-l2\n+two\n l3\n l4\n l5\n"
            "@@ -15,6 +15,5 @@\n l15\n l16\n l17\n-l18\n l19\n l20\n");
  std::string c = a;
  c.replace(c.find("l2\n"), 3, "two\n");
  c.replace(c.find("l9\n"), 3, "nine\n");  // 6 lines of context between: one hunk
  std::string d = unified_diff(a, c, "f");
  EXPECT_EQ(d.find("@@"), d.rfind("@@ -1,12 +1,12 @@")) << d;
}

TEST(UnifiedDiff, RemovedLinesComeBeforeTheLinesThatReplaceThem) {
  // The quick start's migration: dtl's edit script has the additions first here.
  std::string a = "  labels:\n    title: q\nxray:\n  config:\n    TotalBufferSizeMB: 8\n    LocalMode: true\n"
                  "    Region: us-east-1\n  flush_grace: 3s\n";
  std::string b = "  labels:\n    title: q\nagent:\n  kind: adot-collector\n  version: 0.49.0\n  buffer_mb: 8\n"
                  "  local_mode: true\n  region: us-east-1\n  flush_grace: 3s\n";
  std::string d = unified_diff(a, b, "f");
  size_t body = d.find("@@");
  EXPECT_EQ(d.find("\n+", body), d.find("\n+agent:")) << d;
  EXPECT_EQ(d.find("\n-", body), d.find("\n-xray:")) << d;
  EXPECT_LT(d.find("\n-    Region: us-east-1\n"), d.find("\n+agent:")) << d;
}

TEST(UnifiedDiff, SaysWhenALastLineHasNoNewline) {
  EXPECT_EQ(unified_diff("a\nb", "a\nc", "f"),
            "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
}

TEST(UnifiedDiff, AdditionsToAnEmptyFileAndCrlfLinesAsTheyAre) {
  EXPECT_EQ(unified_diff("", "x\n", "f"), "--- f\n+++ f\n@@ -0,0 +1 @@\n+x\n");
  EXPECT_EQ(unified_diff("a\r\nb\r\n", "a\r\nc\r\n", "f"), "--- f\n+++ f\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n");
}

}  // namespace
}  // namespace xb::migrate
