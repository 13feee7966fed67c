#include "util/redact.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(RedactUrl, DropsUserinfoAndEveryQueryValue) {
  EXPECT_EQ(redact_url("https://ci:s3cret@mirror.example:8443/x/xray.deb?X-Amz-Signature=abc&X-Amz-Expires=300#f"),
            "https://mirror.example:8443/x/xray.deb?X-Amz-Signature=REDACTED&X-Amz-Expires=REDACTED#f");
  EXPECT_EQ(redact_url("http://token@127.0.0.1:5000/v2/"), "http://127.0.0.1:5000/v2/");
  EXPECT_EQ(redact_url("https://h/blob?sig=a%2Fb&flag&token="), "https://h/blob?sig=REDACTED&flag&token=");
}

TEST(RedactUrl, LeavesUrlsWithoutSecretsAlone) {
  for (const char* u : {"https://s3.dualstack.us-east-2.amazonaws.com/aws-xray-assets.us-east-2/x.deb",
                        "file:///srv/mirror/x.deb", "http://[::1]:8080/a/b", "/v2/app/blobs/uploads/", ""})
    EXPECT_EQ(redact_url(u), u);
  // An @ in the path is not a user name.
  EXPECT_EQ(redact_url("https://h/a@b"), "https://h/a@b");
}

TEST(RedactText, ScrubsWhatALibraryQuoted) {
  const std::string url = "http://user:s3cret@127.0.0.1:9/x.deb?X-Amz-Signature=abc0ff";
  std::string t = redact_text("Failed to GET " + url + " (s3cret, abc0ff) port 9", url);
  EXPECT_EQ(t.find("s3cret"), std::string::npos) << t;
  EXPECT_EQ(t.find("abc0ff"), std::string::npos) << t;
  EXPECT_NE(t.find("http://127.0.0.1:9/x.deb?X-Amz-Signature=REDACTED"), std::string::npos) << t;
  EXPECT_NE(t.find("port 9"), std::string::npos) << t;
}

}  // namespace
}  // namespace xb
