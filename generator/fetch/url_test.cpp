#include "fetch/url.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(Url, ExpandsEveryPlaceholder) {
  EXPECT_EQ(expand_url(kDefaultDaemonUrl, "eu-west-1", "arm64", "3.x"),
            "https://s3.dualstack.eu-west-1.amazonaws.com/aws-xray-assets.eu-west-1/xray-daemon/"
            "aws-xray-daemon-linux-arm64-3.x.deb");
}

TEST(Url, LeavesUnknownBracesAlone) {
  EXPECT_EQ(expand_url("http://m/{arch}/{other}/{", "r", "amd64", "1"), "http://m/amd64/{other}/{");
}

TEST(Url, EnvironmentOverridesDownloadButNotDescriptorUrl) {
  Descriptor d;
  d.xray.version = "3.6.6";
  agents::Package x = agents::agent_for(d).package(d);
  ::setenv("XRAYBAKE_DAEMON_URL", "file:///mirror/{region}/{arch}-{version}.deb", 1);
  EXPECT_EQ(download_url(x, "amd64"), "file:///mirror/us-east-2/amd64-3.6.6.deb");
  EXPECT_EQ(descriptor_url(x, "amd64"),
            "https://s3.dualstack.us-east-2.amazonaws.com/aws-xray-assets.us-east-2/xray-daemon/"
            "aws-xray-daemon-linux-amd64-3.6.6.deb");
  ::unsetenv("XRAYBAKE_DAEMON_URL");
  EXPECT_EQ(download_url(x, "amd64"), descriptor_url(x, "amd64"));
}

}  // namespace
}  // namespace xb
