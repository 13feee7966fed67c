// Bytes that are not UTF-8 (found by fuzzing: they reached nlohmann::json's
// dump and ended the process with an uncaught type_error).
#include <gtest/gtest.h>

#include "descriptor/descriptor.h"
#include "util/error.h"

namespace xb {
namespace {

Error parse_error(const std::string& yaml) {
  try {
    parse_descriptor(yaml, "/d/xraybake.yaml");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << yaml;
  return Error(ExitCode::runtime, "none");
}

TEST(DescriptorUtf8, FuzzerFindingInAQuotedBaseIsAPositionedError) {
  // tests/fuzz: the base was quoted in a message with json::dump.
  std::string yaml = "apiVersion: xraybake/v1\nservice: {name: a, base: 'docker.io/library/p\xc4\"";
  yaml += std::string("\x04\0", 2) + "0`" + std::string("\0\0", 2) + "12-slim'}\n";
  Error e = parse_error(yaml);
  EXPECT_EQ(e.code(), ExitCode::bad_input);
  ASSERT_EQ(e.diagnostics().size(), 1u);
  EXPECT_EQ(e.diagnostics()[0].line, 2);
  EXPECT_EQ(e.diagnostics()[0].column, 46);
  EXPECT_EQ(e.diagnostics()[0].message, "not UTF-8 text (byte 0xC4): save the descriptor as UTF-8");
}

TEST(DescriptorUtf8, EveryKindOfBadSequenceIsRefused) {
  const std::string head = "apiVersion: xraybake/v1\nservice:\n  name: a\n  base: b\n  env:\n    K: \"";
  for (std::string bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
                          "\xe2\x82", "\x80"}) {
    Error e = parse_error(head + bad + "\"\n");
    ASSERT_EQ(e.diagnostics().size(), 1u) << bad;
    EXPECT_EQ(e.diagnostics()[0].line, 6);
    EXPECT_EQ(e.diagnostics()[0].column, 9);
  }
  // Cut off at the end of the file.
  EXPECT_EQ(parse_error(head + "\xe2\x82").diagnostics()[0].column, 9);
}

TEST(DescriptorUtf8, UnicodeTextIsKept) {
  Descriptor d = parse_descriptor(
      "apiVersion: xraybake/v1\nservice:\n  name: a\n  base: b\n  env:\n    GREETING: \"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x9a\x80\"\n",
      "/d/xraybake.yaml");
  ASSERT_EQ(d.service.env.size(), 1u);
  EXPECT_EQ(d.service.env[0].second, "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x9a\x80");
}

}  // namespace
}  // namespace xb
