// `cmake --install` of this build: the binary, its man page and its bash
// completion where a system looks for them, each generated from the binary's
// own command line and read back by the real readers (groff, bash).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "integration/cli_helpers.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The commands `xraybake --help` lists.
std::vector<std::string> listed_commands() {
  auto help = run_command({XB_XRAYBAKE_BIN, "--help"});
  std::vector<std::string> out;
  auto at = help.out.find("Subcommands:\n");
  EXPECT_NE(at, std::string::npos) << help.out;
  const std::string rest = help.out.substr(at);
  const std::regex command(R"(\n  ([a-z]+) )");
  for (std::sregex_iterator it(rest.begin(), rest.end(), command), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

class CliInstall : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("groff", "groff-base");
    auto r = run_command({"cmake", "--install", XB_BINARY_DIR, "--prefix", (tmp / "usr").string()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  TempDir tmp;
};

TEST_F(CliInstall, InstallsTheBinaryTheManPageAndTheBashCompletion) {
  const fs::path prefix = tmp / "usr";
  auto v = run_command({(prefix / "bin/xraybake").string(), "--version"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("xraybake "));
  EXPECT_TRUE(fs::is_regular_file(prefix / "share/man/man1/xraybake.1"));
  EXPECT_TRUE(fs::is_regular_file(prefix / "share/bash-completion/completions/xraybake"));
  // Nothing but those: no test binary, no fixture, no library.
  std::set<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(prefix))
    if (e.is_regular_file()) files.insert(fs::relative(e.path(), prefix).string());
  EXPECT_EQ(files, (std::set<std::string>{"bin/xraybake", "share/bash-completion/completions/xraybake",
                                          "share/man/man1/xraybake.1"}));
}

// groff reads it without a warning, and it documents every command --help
// lists with its flags and examples, and what the build's own --help says.
TEST_F(CliInstall, TheManPageDocumentsEveryCommandAndFlag) {
  const std::string page = (tmp / "usr/share/man/man1/xraybake.1").string();
  auto r = run_command({"groff", "-man", "-Tutf8", "-ww", "-rLL=200n", page});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "groff warnings";
  // groff marks bold by overstriking; read the text.
  const std::string text = std::regex_replace(r.out, std::regex(".\b"), "");
  EXPECT_THAT(text, HasSubstr("XRAYBAKE(1)"));
  const auto commands = listed_commands();
  ASSERT_GE(commands.size(), 9u);
  for (const auto& c : commands) {
    SCOPED_TRACE(c);
    EXPECT_THAT(text, HasSubstr("xraybake " + c + "\n"));
    auto help = run_command({XB_XRAYBAKE_BIN, c, "--help"});
    const std::regex flag(R"(\n  (?:-[a-z],)?(--[a-z-]+))");
    for (std::sregex_iterator it(help.out.begin(), help.out.end(), flag), end; it != end; ++it)
      EXPECT_THAT(text, HasSubstr((*it)[1].str())) << "a flag of " << c;
  }
  EXPECT_THAT(text, HasSubstr("xraybake cache clean"));
  EXPECT_THAT(text, HasSubstr("xraybake inspect oci:out/oci:1.4.2")) << "the examples, as written";
  EXPECT_THAT(text, HasSubstr("EXIT STATUS"));
  EXPECT_THAT(text, HasSubstr("XRAYBAKE_DAEMON_URL"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("xraybake man"))) << "the generator is not a documented command";
}

// bash-completion loads completions/xraybake by the command's name: sourced
// as it would be, it completes a command and a flag.
TEST_F(CliInstall, TheInstalledBashCompletionCompletes) {
  XB_REQUIRE_TOOL("bash", "bash");
  const std::string file = (tmp / "usr/share/bash-completion/completions/xraybake").string();
  auto r = run_command({"bash", "-c",
                        "source \"$1\"; COMP_WORDS=(xraybake ins); COMP_CWORD=1; _xraybake; echo \"${COMPREPLY[*]}\";"
                        "COMP_WORDS=(xraybake inspect --ins); COMP_CWORD=2; _xraybake; echo \"${COMPREPLY[*]}\"",
                        "bash", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "inspect\n--insecure-registry\n");
}

}  // namespace
}  // namespace xb::test
