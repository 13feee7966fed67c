#include "http/backoff.h"

#include <gtest/gtest.h>

namespace xb::http {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsExponentiallyWithJitterUpToTheCap) {
  NetSettings s;
  s.retry_base = milliseconds(100);
  s.retry_max = milliseconds(1000);
  std::mt19937 rng(42);
  for (int i = 0; i < 50; ++i) {
    auto d1 = backoff_delay(1, s, rng);
    EXPECT_GE(d1, milliseconds(50));
    EXPECT_LE(d1, milliseconds(100));
    auto d3 = backoff_delay(3, s, rng);
    EXPECT_GE(d3, milliseconds(200));
    EXPECT_LE(d3, milliseconds(400));
    auto d10 = backoff_delay(10, s, rng);
    EXPECT_GE(d10, milliseconds(500));
    EXPECT_LE(d10, milliseconds(1000));
  }
}

TEST(Backoff, JitterSpreadsClients) {
  NetSettings s;
  std::mt19937 rng(7);
  auto a = backoff_delay(2, s, rng), b = backoff_delay(2, s, rng), c = backoff_delay(2, s, rng);
  EXPECT_FALSE(a == b && b == c);
}

TEST(RetryAfter, SecondsAndHttpDates) {
  EXPECT_EQ(parse_retry_after("120", 0), milliseconds(120000));
  EXPECT_EQ(parse_retry_after(" 3 \r\n", 0), milliseconds(3000));
  // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), milliseconds(7000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111999), milliseconds(0));
  EXPECT_FALSE(parse_retry_after("soon", 0).has_value());
  EXPECT_FALSE(parse_retry_after("", 0).has_value());
  EXPECT_FALSE(parse_retry_after("-5", 0).has_value());
}

}  // namespace
}  // namespace xb::http
