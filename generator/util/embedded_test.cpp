#include "util/embedded.h"

#include <gtest/gtest.h>

// The supervisor for each architecture is in the binary, as a static ELF
// executable of that machine (EM_X86_64 = 62, EM_AARCH64 = 183).
TEST(Embedded, SupervisorBinariesForBothArchitectures) {
  for (auto [arch, machine] : {std::pair{"amd64", 62}, std::pair{"arm64", 183}}) {
    auto bin = xb::embedded_file(std::string("supervisor/xraybake-init-") + arch);
    ASSERT_TRUE(bin.has_value()) << arch;
    ASSERT_GT(bin->size(), 64u);
    EXPECT_EQ(bin->substr(0, 4), "\x7f" "ELF");
    EXPECT_EQ(static_cast<unsigned char>((*bin)[18]), machine) << arch;
  }
}

TEST(Embedded, UnknownNameIsAbsent) { EXPECT_FALSE(xb::embedded_file("no/such/file").has_value()); }
