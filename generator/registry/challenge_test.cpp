#include "registry/challenge.h"

#include <gtest/gtest.h>

namespace xb::registry {
namespace {

TEST(ChallengeTest, BearerWithParameters) {
  auto c = pick_challenge(
      {R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull")"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c->param("service"), "registry.docker.io");
  EXPECT_EQ(c->param("scope"), "repository:library/alpine:pull");
}

TEST(ChallengeTest, BasicAndPreferenceForBearer) {
  auto basic = pick_challenge({R"(Basic realm="xraybake-test")"});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->param("realm"), "xraybake-test");
  auto both = pick_challenge({R"(Basic realm="r", Bearer realm="https://t/token", service=reg)"});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->scheme, "bearer");
  EXPECT_EQ(both->param("service"), "reg");
  EXPECT_FALSE(pick_challenge({R"(Negotiate)"}));
  EXPECT_FALSE(pick_challenge({}));
}

TEST(ChallengeTest, EscapedQuotes) {
  auto c = parse_challenges({R"(Bearer realm="a\"b",error="insufficient_scope")"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "a\"b");
  EXPECT_EQ(c[0].param("error"), "insufficient_scope");
}

}  // namespace
}  // namespace xb::registry
