// `xraybake completion bash|zsh` run by the real shells: the function it
// defines completes subcommands, their flags, and skips a global option's value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/cli_helpers.h"
#include "support/require.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// COMPREPLY after completing WORDS (the last is the word under the cursor) in SHELL.
std::string complete(const std::string& shell, const std::string& words) {
  const std::string bin = XB_XRAYBAKE_BIN;
  std::string script = "eval \"$(" + bin + " completion " + shell + ")\"; ";
  if (shell == "zsh") script += "setopt ksharrays; [[ ${_comps[xraybake]} == *_xraybake* ]] || echo NOT-REGISTERED; ";
  script += "COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _xraybake; echo \"${COMPREPLY[*]}\"";
  auto r = run_command({shell, shell == "zsh" ? "-fc" : "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(CliCompletion, BashCompletesSubcommandsFlagsAndSkipsOptionValues) {
  XB_REQUIRE_TOOL("bash", "bash");
  EXPECT_EQ(complete("bash", "xraybake bu"), "build\n");
  EXPECT_EQ(complete("bash", "xraybake build --pu"), "--push\n");
  EXPECT_EQ(complete("bash", "xraybake migrate --re"), "--report\n");
  // /tmp/c is --cache-dir's value, not a subcommand.
  EXPECT_EQ(complete("bash", "xraybake --cache-dir /tmp/c ca"), "cache\n");
  EXPECT_EQ(complete("bash", "xraybake --json cache ''"), "ls verify clean --help -h\n");
  EXPECT_THAT(complete("bash", "xraybake ''"), HasSubstr("init validate fetch build migrate inspect cache schema completion"));
}

TEST(CliCompletion, ZshRegistersTheSameFunctionThroughBashcompinit) {
  XB_REQUIRE_TOOL("zsh", "zsh");
  std::string out = complete("zsh", "xraybake build --pu");  // zsh filters by the prefix itself
  EXPECT_THAT(out, Not(HasSubstr("NOT-REGISTERED")));
  EXPECT_THAT(out, HasSubstr("--push"));
  EXPECT_THAT(out, Not(HasSubstr("--agent-version")));  // migrate's, not build's
}

TEST(CliCompletion, AnotherShellIsRefused) {
  auto r = xraybake({"completion", "fish"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("fish"));
}

}  // namespace
}  // namespace xb::test
