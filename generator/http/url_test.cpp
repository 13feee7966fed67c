#include "http/url.h"

#include <gtest/gtest.h>

namespace xb::http {
namespace {

TEST(ResolveUrl, Rfc3986Examples) {
  // RFC 3986 section 5.4.1, base http://a/b/c/d;p?q
  const std::string base = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve_url(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_url(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_url(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolve_url(base, "/g"), "http://a/g");
  EXPECT_EQ(resolve_url(base, "//g"), "http://g/");
  EXPECT_EQ(resolve_url(base, "g?y"), "http://a/b/c/g?y");
  EXPECT_EQ(resolve_url(base, "../g"), "http://a/b/g");
  EXPECT_EQ(resolve_url(base, "../../g"), "http://a/g");
}

TEST(ResolveUrl, RegistryLocations) {
  const std::string req = "https://reg.example:5000/v2/app/blobs/uploads/";
  EXPECT_EQ(resolve_url(req, "/v2/app/blobs/uploads/abc?_state=x"), "https://reg.example:5000/v2/app/blobs/uploads/abc?_state=x");
  EXPECT_EQ(resolve_url(req, "abc?_state=x"), "https://reg.example:5000/v2/app/blobs/uploads/abc?_state=x");
  EXPECT_EQ(resolve_url(req, "https://s3.example/bucket/x?sig=1"), "https://s3.example/bucket/x?sig=1");
}

TEST(OriginOf, SchemeHostAndDefaultPort) {
  EXPECT_EQ(origin_of("https://Reg.Example/v2/")->str(), "https://reg.example:443");
  EXPECT_EQ(origin_of("http://127.0.0.1:5000/x")->str(), "http://127.0.0.1:5000");
  EXPECT_NE(*origin_of("http://127.0.0.1:5000/"), *origin_of("http://127.0.0.1:5001/"));
  EXPECT_NE(*origin_of("http://h/"), *origin_of("https://h/"));
  EXPECT_EQ(*origin_of("https://h/"), *origin_of("https://h:443/a"));
  EXPECT_EQ(*origin_of("http://user:pw@h:80/"), *origin_of("http://h/"));
  EXPECT_FALSE(origin_of("/v2/").has_value());
  EXPECT_EQ(scheme_of("HTTPS://x"), "https");
  EXPECT_EQ(scheme_of("/v2/x"), "");
}

}  // namespace
}  // namespace xb::http
