// `xraybake migrate` through the real binary: the four examples, the CI gate,
// idempotence, all-or-nothing refusals, the diff applied with patch(1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "integration/cli_helpers.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const fs::path kSource = XB_SOURCE_DIR;
const fs::path kFixtures = kSource / "tests/fixtures/migrate";
const std::vector<std::string> kExamples{"dotnet-api", "java-service", "node-api", "python-worker"};

std::string example(const std::string& name) { return slurp(kSource / "examples" / name / "xraybake.yaml"); }
std::string expected_example(const std::string& name) { return slurp(kFixtures / "examples" / (name + ".expected.yaml")); }

// The folders of examples/NAME (the app its service.files name, which
// reading the descriptor checks) into DIR.
void copy_example_folders(const std::string& name, const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(kSource / "examples" / name))
    if (e.is_directory()) fs::copy(e.path(), dir / e.path().filename(), fs::copy_options::recursive);
}

// examples/NAME/xraybake.yaml as TO, with the example's folders beside it.
void copy_example(const std::string& name, const fs::path& to) {
  spit(to, example(name));
  copy_example_folders(name, to.parent_path());
}

// services/<name>/xraybake.yaml in DIR for each example; returns the directories' relative names.
std::vector<std::string> copy_examples(const TempDir& dir) {
  std::vector<std::string> dirs;
  for (const auto& name : kExamples) {
    copy_example(name, dir / ("services/" + name + "/xraybake.yaml"));
    dirs.push_back("services/" + name);
  }
  return dirs;
}

std::vector<std::string> migrate_args(std::vector<std::string> files, std::vector<std::string> flags = {}) {
  std::vector<std::string> args{"migrate", "--to", "adot-collector"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), files.begin(), files.end());
  return args;
}

TEST(CliMigrate, TheFourExamplesBecomeTheirExpectedOutputsAndTheDiffIsAPatch) {
  XB_REQUIRE_TOOL("patch", "patch");
  TempDir dir;
  auto dirs = copy_examples(dir);
  auto r = xraybake(migrate_args(dirs), dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& name : kExamples) {
    EXPECT_EQ(slurp(dir / ("services/" + name + "/xraybake.yaml")), expected_example(name)) << name;
    EXPECT_THAT(r.err, HasSubstr("wrote services/" + name + "/xraybake.yaml (agent: adot-collector 0.49.0)"));
    EXPECT_THAT(r.out, HasSubstr("--- services/" + name + "/xraybake.yaml\n+++ services/" + name + "/xraybake.yaml\n"));
  }
  // Each setting without an agent key is named, at its position.
  EXPECT_THAT(r.err, HasSubstr("services/dotnet-api/xraybake.yaml:34:7: not translated xray.config.Logging.LogLevel warn: "));
  EXPECT_THAT(r.err, HasSubstr("services/node-api/xraybake.yaml:21:5: not translated xray.config.Concurrency 4: "));
  EXPECT_THAT(r.err, HasSubstr("services/java-service/xraybake.yaml:30:10: not translated xray.args[0] --log-level warn: "));
  EXPECT_THAT(r.err, HasSubstr("services/java-service/xraybake.yaml:24:3: dropped xray.version 3.6.6: "));
  EXPECT_THAT(r.err, HasSubstr("note: through the collector, X-Ray segments lose the aws.cloudwatch_logs of a segment and "
                               "the origin AWS::ECS::Container"));
  EXPECT_THAT(r.err, HasSubstr("4 of 4 descriptors migrated to adot-collector"));

  // The diff on stdout, applied by patch(1) to the originals, gives the same files.
  TempDir again;
  copy_examples(again);
  spit(again / "changes.patch", r.out);
  auto p = run_command({"patch", "-p0", "--batch", "-i", "changes.patch"}, {}, again.path().string());
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  for (const auto& name : kExamples)
    EXPECT_EQ(slurp(again / ("services/" + name + "/xraybake.yaml")), expected_example(name)) << name;
}

TEST(CliMigrate, CheckIsACiGateAndWritesNothing) {
  TempDir dir;
  auto dirs = copy_examples(dir);
  auto r = xraybake(migrate_args(dirs, {"--check"}), dir.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("services/node-api/xraybake.yaml: would change (--check writes nothing)"));
  EXPECT_THAT(r.err, HasSubstr("error: 4 descriptors are still on the X-Ray daemon"));
  EXPECT_THAT(r.out, HasSubstr("+agent:"));
  for (const auto& name : kExamples) EXPECT_EQ(slurp(dir / ("services/" + name + "/xraybake.yaml")), example(name)) << name;
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();

  ASSERT_EQ(xraybake(migrate_args(dirs), dir.path().string()).exit_code, 0);
  r = xraybake(migrate_args(dirs, {"--check"}), dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("0 of 4 descriptors would change, 4 already on agent:"));
}

TEST(CliMigrate, ASecondRunChangesNothing) {
  TempDir dir;
  copy_example("dotnet-api", dir / "xraybake.yaml");
  ASSERT_EQ(xraybake(migrate_args({}), dir.path().string()).exit_code, 0);
  std::string once = slurp(dir / "xraybake.yaml");
  struct stat before {};
  ASSERT_EQ(::stat((dir / "xraybake.yaml").c_str(), &before), 0);
  auto r = xraybake(migrate_args({}), dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(slurp(dir / "xraybake.yaml"), once);
  struct stat after {};
  ASSERT_EQ(::stat((dir / "xraybake.yaml").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "not rewritten";
}

TEST(CliMigrate, AFileThatDoesNotParseIsRefusedAndNoFileIsWritten) {
  TempDir dir;
  std::string broken = slurp(kFixtures / "refused/syntax-error.yaml");
  std::string both = slurp(kFixtures / "refused/both-sections.yaml");
  spit(dir / "a/xraybake.yaml", example("node-api"));
  spit(dir / "broken.yaml", broken);
  spit(dir / "both.yaml", both);
  auto r = xraybake(migrate_args({"a", "broken.yaml", "both.yaml"}), dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("broken.yaml:3:1: YAML syntax error: "));
  EXPECT_THAT(r.err, HasSubstr("both.yaml:5:1: both xray: (line 3) and agent: here; a descriptor has one of the two"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(slurp(dir / "broken.yaml"), broken);
  EXPECT_EQ(slurp(dir / "both.yaml"), both);
  EXPECT_EQ(slurp(dir / "a/xraybake.yaml"), example("node-api")) << "all or nothing: the good file is not written either";
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 4u) << "no temporary files";

  r = xraybake(migrate_args({"missing/"}), dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("missing/xraybake.yaml: no such file"));
}

TEST(CliMigrate, ToOtelcolContribWritesItsKindAndReleaseAndEveryOutputBuilds) {
  TempDir dir;
  auto dirs = copy_examples(dir);
  auto r = xraybake({"migrate", "--to", "otelcol-contrib", "services/node-api", "services/java-service"}, dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string node = slurp(dir / "services/node-api/xraybake.yaml");
  EXPECT_THAT(node, HasSubstr("kind: otelcol-contrib\n"));
  EXPECT_THAT(node, HasSubstr("version: 0.131.0\n"));
  EXPECT_THAT(r.err, HasSubstr("wrote services/node-api/xraybake.yaml (agent: otelcol-contrib 0.131.0)"));
  // The notes name the contrib build's ways, not ADOT's.
  EXPECT_THAT(r.err, HasSubstr("dropped xray.bucket_region eu-west-1: otelcol-contrib comes from the project's GitHub releases"));
  EXPECT_THAT(r.err, Not(HasSubstr("aws-otel-collector")));
  // What migrate wrote is a descriptor validate accepts.
  auto v = xraybake({"validate", "services/node-api/xraybake.yaml", "services/java-service/xraybake.yaml"}, dir.path().string());
  EXPECT_EQ(v.exit_code, 0) << v.err;

  r = xraybake({"migrate", "--to", "xray-daemon"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("adot-collector, otelcol-contrib"));
}

TEST(CliMigrate, ReportSaysPerServiceWhatChangesInMarkdownAndJson) {
  TempDir dir;
  auto dirs = copy_examples(dir);
  spit(dir / "services/done/xraybake.yaml", expected_example("node-api"));
  dirs.push_back("services/done");
  // --check writes no descriptor but still writes the report.
  auto args = std::vector<std::string>{"migrate", "--to", "adot-collector", "--check", "--report", "plan.md"};
  args.insert(args.end(), dirs.begin(), dirs.end());
  auto r = xraybake(args, dir.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(slurp(dir / "services/node-api/xraybake.yaml"), example("node-api"));
  std::string md = slurp(dir / "plan.md");
  EXPECT_THAT(md, HasSubstr("# Migration to adot-collector 0.49.0\n"));
  EXPECT_THAT(md, HasSubstr("5 services: 4 moved off the X-Ray daemon, 1 already on an agent: section."));
  EXPECT_THAT(md, HasSubstr("| Service | File | Agent before | Agent after | Memory before | Memory after |"));
  EXPECT_THAT(md, HasSubstr("xray-daemon 3.6.6 → adot-collector 0.49.0"));      // java-service pins the daemon
  EXPECT_THAT(md, HasSubstr("not-translated: xray.config.Concurrency 4"));      // node-api
  EXPECT_THAT(md, HasSubstr("the origin AWS::ECS::Container"));
  EXPECT_THAT(md, HasSubstr("Memory the agent is held to: "));
  EXPECT_THAT(md, HasSubstr("Flush budget: "));

  args[5] = "plan.json";
  r = xraybake(args, dir.path().string());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(slurp(dir / "plan.json"));
  ASSERT_EQ(j["services"].size(), 5u);
  for (const auto& s : j["services"]) {
    if (s["file"] == "services/done/xraybake.yaml") {
      EXPECT_EQ(s["changed"], false);
      EXPECT_EQ(s["before"]["kind"], "adot-collector");
      EXPECT_TRUE(s["lost_on_the_way"].empty());
      continue;
    }
    EXPECT_EQ(s["before"]["kind"], "xray-daemon") << s.dump();
    EXPECT_EQ(s["after"]["kind"], "adot-collector") << s.dump();
    // The collector is held to 64 MiB plus its buffer, the daemon to 30 MiB plus its own.
    EXPECT_EQ(s["after"]["memory_mib"].get<int>() - 64, s["before"]["memory_mib"].get<int>() - 30) << s.dump();
    EXPECT_GT(s["after"]["min_flush_grace_ms"].get<int>(), 0);
    EXPECT_EQ(s["flush_grace_too_short"], s["after"]["flush_grace_ms"].get<int>() < s["after"]["min_flush_grace_ms"].get<int>());
    EXPECT_EQ(s["lost_on_the_way"].size(), 2u);
    EXPECT_FALSE(s["settings"].empty());
  }
}

TEST(CliMigrate, JsonIsASummaryPerFile) {
  TempDir dir;
  spit(dir / "xraybake.yaml", example("node-api"));
  spit(dir / "done/xraybake.yaml", expected_example("node-api"));
  auto r = xraybake({"--json", "migrate", "--to", "adot-collector", "--agent-version", "0.50.0", "xraybake.yaml", "done"},
                    dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["to"], "adot-collector");
  EXPECT_EQ(j["version"], "0.50.0");
  ASSERT_EQ(j["files"].size(), 2u);
  EXPECT_EQ(j["files"][0]["file"], "xraybake.yaml");
  EXPECT_EQ(j["files"][0]["outcome"], "migrated");
  EXPECT_EQ(j["files"][0]["written"], true);
  EXPECT_THAT(j["files"][0]["diff"].get<std::string>(), HasSubstr("+  version: 0.50.0\n"));
  bool concurrency = false;
  for (const auto& n : j["files"][0]["notes"])
    if (n["kind"] == "not-translated" && n["from"] == "xray.config.Concurrency 4" && n["line"] == 21) concurrency = true;
  EXPECT_TRUE(concurrency) << j["files"][0]["notes"].dump();
  EXPECT_EQ(j["files"][1]["file"], "done/xraybake.yaml");
  EXPECT_EQ(j["files"][1]["outcome"], "already-agent");
  EXPECT_EQ(j["files"][1]["changed"], false);
  EXPECT_EQ(j["lost_on_the_way"].size(), 2u);
  EXPECT_THAT(slurp(dir / "xraybake.yaml"), HasSubstr("  version: 0.50.0\n"));

  spit(dir / "bad.yaml", "apiVersion: xraybake/v1\nxray: [a]\n");
  r = xraybake({"--json", "migrate", "--to", "adot-collector", "bad.yaml"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:2:7: xray: expected a mapping"));
  j = nlohmann::json::parse(r.out);  // one document
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_EQ(j["errors"][0]["line"], 2);
  EXPECT_EQ(j["errors"][0]["column"], 7);
  EXPECT_EQ(j["error"]["exit_code"], 2);

  spit(dir / "xraybake.yaml", example("node-api"));
  r = xraybake({"--json", "migrate", "--to", "adot-collector", "--check"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 1);
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["files"][0]["written"], false);
  EXPECT_EQ(j["files"][0]["changed"], true);
  EXPECT_EQ(j["error"]["exit_code"], 1);
  EXPECT_EQ(slurp(dir / "xraybake.yaml"), example("node-api"));
}

TEST(CliMigrate, AnAgentSectionOfTheDaemonsKindIsLeftAloneWithAWarning) {
  TempDir dir;
  std::string text = "apiVersion: xraybake/v1\nservice: {name: a, base: \"oci:app\"}\nagent: {kind: xray-daemon}\n";
  spit(dir / "xraybake.yaml", text);
  auto r = xraybake(migrate_args({}, {"--check"}), dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("warning: xraybake.yaml: agent.kind is xray-daemon, left as it is"));
  EXPECT_EQ(slurp(dir / "xraybake.yaml"), text);
}

TEST(CliMigrate, OnlyKindsThatExistAndExactVersions) {
  TempDir dir;
  spit(dir / "xraybake.yaml", example("node-api"));
  for (std::string kind : {"jaeger", "xray-daemon"}) {
    auto r = xraybake({"migrate", "--to", kind}, dir.path().string());
    EXPECT_EQ(r.exit_code, 2) << kind;
    EXPECT_THAT(r.err, HasSubstr("--to " + kind + ": "));
    EXPECT_THAT(r.err, HasSubstr("use --to with one of: adot-collector, "));
  }
  auto r = xraybake({"migrate", "--to", "adot-collector", "--agent-version", "latest"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--agent-version latest: not an exact version"));
  r = xraybake({"migrate"}, dir.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--to"));
  EXPECT_EQ(slurp(dir / "xraybake.yaml"), example("node-api"));
}

TEST(CliMigrate, KeepsTheModeAndWritesThroughASymlink) {
  TempDir dir;
  copy_example("python-worker", dir / "real/xraybake.yaml");
  fs::permissions(dir / "real/xraybake.yaml", fs::perms(0640));
  copy_example_folders("python-worker", dir / "svc");  // its app/ beside the link too
  fs::create_symlink("../real/xraybake.yaml", dir / "svc/xraybake.yaml");
  auto r = xraybake(migrate_args({"svc"}), dir.path().string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(dir / "svc/xraybake.yaml"));
  EXPECT_EQ(slurp(dir / "real/xraybake.yaml"), expected_example("python-worker"));
  EXPECT_EQ(fs::status(dir / "real/xraybake.yaml").permissions() & fs::perms::all, fs::perms(0640));
}

TEST(CliMigrate, HelpTeachesWithExamples) {
  auto r = xraybake({"migrate", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (auto s : {"Examples:", "xraybake migrate --to adot-collector --check", "All or nothing", "--agent-version",
                 "Exit status", "patch -p0"})
    EXPECT_THAT(r.out, HasSubstr(s));
  EXPECT_THAT(xraybake({"--help"}).out, HasSubstr("migrate"));
}

}  // namespace
}  // namespace xb::test
