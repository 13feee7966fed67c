// service.files and service.exclude: what is accepted, and every way out of
// the descriptor's directory refused at its line and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "descriptor/descriptor.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

const std::string kHead =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: orders-api\n"
    "  base: oci:app-oci\n";

bool starts(const std::string& text, const std::string& prefix) { return text.starts_with(prefix); }

class AppFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp.path() / "svc/publish/sub");
    std::ofstream(tmp.path() / "svc/publish/App.dll") << "dll";
    std::ofstream(tmp.path() / "svc/appsettings.json") << "{}";
    std::ofstream(tmp.path() / "outside.txt") << "secret";
  }
  Descriptor parse(const std::string& service_tail) {
    return parse_descriptor(kHead + service_tail, (tmp.path() / "svc/xraybake.yaml").string());
  }
  // The one problem of SERVICE_TAIL, as "LINE:COL: message".
  std::string problem(const std::string& service_tail) {
    try {
      parse(service_tail);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      if (e.diagnostics().size() != 1) return "not one problem: " + std::string(e.what());
      const auto& d = e.diagnostics()[0];
      return std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message;
    }
    return "accepted";
  }
  test::TempDir tmp;
};

TEST_F(AppFiles, ReadsEntriesAndExcludes) {
  Descriptor d = parse(
      "  files:\n"
      "    - {from: publish/, to: /app}\n"
      "    - {from: appsettings.json, to: /app/config/, mode: \"0640\"}\n"
      "    - {from: ., to: /srv/all, mode: 755}\n"
      "  exclude: [\"**/*.pdb\", .git/]\n"
      "  user: \"0:0\"\n");
  ASSERT_EQ(d.service.files.size(), 3u);
  const auto& dir = d.service.files[0];
  EXPECT_TRUE(dir.directory);
  EXPECT_EQ(dir.from, "publish/");
  EXPECT_EQ(fs::path(dir.source), fs::canonical(tmp.path() / "svc/publish"));
  EXPECT_EQ(dir.to, "/app");
  EXPECT_FALSE(dir.mode);
  EXPECT_EQ(dir.line, 6);
  EXPECT_EQ(dir.column, 7);
  const auto& file = d.service.files[1];
  EXPECT_FALSE(file.directory);
  EXPECT_EQ(file.to, "/app/config/appsettings.json");  // a trailing / takes the file's name, as COPY does
  EXPECT_EQ(file.mode, 0640u);  // not readable by others: fine for root (user 0:0)
  EXPECT_EQ(d.service.files[2].mode, 0755u);
  EXPECT_EQ(d.service.exclude, (std::vector<std::string>{"**/*.pdb", ".git/"}));
}

TEST_F(AppFiles, NoneByDefault) {
  Descriptor d = parse("");
  EXPECT_TRUE(d.service.files.empty());
  EXPECT_TRUE(d.service.exclude.empty());
}

TEST_F(AppFiles, EscapesAreRefusedWhereTheyAreWritten) {
  EXPECT_EQ(problem("  files: [{from: ../outside.txt, to: /app/x}]\n"),
            "5:18: service.files[0].from: \"../outside.txt\" must not contain \"..\": the app comes from inside the "
            "descriptor's directory; give a file or directory relative to the descriptor's directory, e.g. publish/");
  EXPECT_PRED2(starts, problem("  files: [{from: publish/../../outside.txt, to: /app/x}]\n"),
            "5:18: service.files[0].from: \"publish/../../");
  std::string abs = (tmp.path() / "outside.txt").string();
  EXPECT_EQ(problem("  files: [{from: " + abs + ", to: /app/x}]\n"),
            "5:18: service.files[0].from: \"" + abs + "\" is an absolute path; give a file or directory relative to "
            "the descriptor's directory, e.g. publish/");
  fs::create_symlink(tmp.path(), tmp.path() / "svc/up");
  std::string out = problem("  files: [{from: up/outside.txt, to: /app/x}]\n");
  EXPECT_PRED2(starts, out, "5:18: service.files[0].from: \"up/outside.txt\" leads out of the");
  fs::create_symlink(tmp.path() / "outside.txt", tmp.path() / "svc/link.txt");
  out = problem("  files: [{from: link.txt, to: /app/x}]\n");
  EXPECT_NE(out.find("leads out of the descriptor's directory"), std::string::npos) << out;
}

TEST_F(AppFiles, ALinkInsideTheTreeIsFollowedForFrom) {
  fs::create_symlink("publish", tmp.path() / "svc/current");
  Descriptor d = parse("  files: [{from: current, to: /app}]\n");
  ASSERT_EQ(d.service.files.size(), 1u);
  EXPECT_EQ(fs::path(d.service.files[0].source), fs::canonical(tmp.path() / "svc/publish"));
}

TEST_F(AppFiles, EachProblemAtItsPlace) {
  EXPECT_EQ(problem("  files: [{from: nothing, to: /app}]\n"),
            "5:18: service.files[0].from: \"nothing\" does not exist (" + (tmp.path() / "svc/nothing").string() +
                "); give a file or directory relative to the descriptor's directory, e.g. publish/ (build the app "
                "first, e.g. dotnet publish -o publish)");
  EXPECT_EQ(problem("  files: [{from: publish, to: app}]\n"),
            "5:31: service.files[0].to: \"app\" must be an absolute path in the image, e.g. /app");
  EXPECT_EQ(problem("  files: [{from: publish, to: /app/../etc}]\n"),
            "5:31: service.files[0].to: \"/app/../etc\" is not a clean path (no \".\", \"..\" or \"//\"), e.g. /app");
  EXPECT_EQ(problem("  files: [{from: publish, to: /}]\n"),
            "5:31: service.files[0].to: \"/\" would spread the app over the base image's system; give it its own "
            "directory, e.g. /app");
  EXPECT_EQ(problem("  files: [{from: publish, to: /etc/xraybake/app}]\n"),
            "5:31: service.files[0].to: \"/etc/xraybake/app\" is inside /etc/xraybake, which the image needs for "
            "itself; put the app elsewhere, e.g. /app");
  EXPECT_PRED2(starts, problem("  files: [{from: appsettings.json, to: /usr/local/bin/xraybake-init}]\n"),
            "5:40: service.files[0].to: \"/usr/local/bin/xraybake-init\" is /usr/local/bin/xraybake-init");
  EXPECT_EQ(problem("  files: [{from: publish, to: /app, mode: rwx}]\n"),
            "5:43: service.files[0].mode: \"rwx\" is not an octal mode such as \"0644\" or \"0755\" (quote it)");
  EXPECT_PRED2(starts, problem("  files: [{from: publish, to: /app, mode: \"4755\"}]\n"),
            "5:43: service.files[0].mode: \"4755\" is not an octa");
  EXPECT_PRED2(starts, problem("  files: [{from: publish, to: /app, mode: \"0640\"}]\n"),
            "5:43: service.files[0].mode: \"0640\" does not let the service user read the file");
  EXPECT_EQ(problem("  files: [{from: publish}]\n"),
            "5:11: service.files[0]: needs from and to, e.g. {from: publish/, to: /app}");
  EXPECT_EQ(problem("  files: [{from: publish, to: /app, owner: me}]\n"),
            "5:37: unknown key \"owner\" in service.files[0] (expected one of: from, to, mode)");
  EXPECT_EQ(problem("  files: publish\n"),
            "5:10: service.files: expected a list such as [{from: publish/, to: /app}], got a string");
  EXPECT_EQ(problem("  files: [{from: publish, to: /app}, {from: appsettings.json, to: /app}]\n"),
            "5:67: service.files[1].to: /app is already the target of the entry at line 5; give each entry its own path");
  EXPECT_EQ(problem("  exclude: [\"a[\"]\n"), "5:13: service.exclude[0]: \"a[\" has a '[' without its ']'");
}

TEST_F(AppFiles, EveryProblemAtOnce) {
  try {
    parse("  files:\n    - {from: ../x, to: /app}\n    - {from: publish, to: rel}\n  exclude: [\"\"]\n");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.diagnostics().size(), 3u) << e.what();
  }
}

}  // namespace
}  // namespace xb
