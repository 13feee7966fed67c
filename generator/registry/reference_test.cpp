#include "registry/reference.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace xb::registry {
namespace {

struct Case {
  const char* text;
  const char* registry;
  const char* repository;
  const char* tag;
  const char* digest;
};

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(ReferenceTest, ParsesAsDockerDoes) {
  std::string pinned_text = "alpine@" + kDigest;
  std::string both_text = "localhost:5000/a/b:1.0@" + kDigest;
  const Case cases[] = {
      {"alpine", "docker.io", "library/alpine", "latest", ""},
      {"alpine:3.19", "docker.io", "library/alpine", "3.19", ""},
      {"amazon/aws-xray-daemon:3.3.7", "docker.io", "amazon/aws-xray-daemon", "3.3.7", ""},
      {"docker.io/alpine", "docker.io", "library/alpine", "latest", ""},
      {"index.docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", ""},
      {"localhost/app", "localhost", "app", "latest", ""},
      {"localhost:5000/team/app:v2", "localhost:5000", "team/app", "v2", ""},
      {"127.0.0.1:5000/app", "127.0.0.1:5000", "app", "latest", ""},
      {"123456789012.dkr.ecr.us-east-2.amazonaws.com/orders-api:1.4.2",
       "123456789012.dkr.ecr.us-east-2.amazonaws.com", "orders-api", "1.4.2", ""},
      {"ghcr.io/org/sub/img", "ghcr.io", "org/sub/img", "latest", ""},
      {pinned_text.c_str(), "docker.io", "library/alpine", "", kDigest.c_str()},
      {both_text.c_str(), "localhost:5000", "a/b", "1.0", kDigest.c_str()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    Reference r = parse_reference(c.text);
    EXPECT_EQ(r.registry, c.registry);
    EXPECT_EQ(r.repository, c.repository);
    EXPECT_EQ(r.tag, c.tag);
    EXPECT_EQ(r.digest, c.digest);
  }
}

TEST(ReferenceTest, ApiHostAndText) {
  Reference hub = parse_reference("alpine:3.19");
  EXPECT_EQ(hub.api_host(), "registry-1.docker.io");
  EXPECT_EQ(hub.str(), "docker.io/library/alpine:3.19");
  EXPECT_EQ(hub.identifier(), "3.19");
  Reference local = parse_reference("localhost:5000/app@" + kDigest);
  EXPECT_EQ(local.api_host(), "localhost:5000");
  EXPECT_EQ(local.identifier(), kDigest);
  EXPECT_EQ(with_tag(local, "v1").str(), "localhost:5000/app:v1");
}

TEST(ReferenceTest, RejectsWhatDockerRejects) {
  for (const char* bad : {"", "Alpine", "alpine:", "alpine@sha256:abc", "a//b", "-x/y", "host:5000/", "app:bad tag",
                          "app:-x"}) {
    SCOPED_TRACE(bad);
    try {
      parse_reference(bad);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(std::string(e.what()).find("invalid image reference"), std::string::npos);
    }
  }
}

TEST(ReferenceTest, RepositoryHasNoTagOrDigest) {
  EXPECT_EQ(parse_repository("127.0.0.1:5000/team/cache").name(), "127.0.0.1:5000/team/cache");
  EXPECT_EQ(parse_repository("team/cache").name(), "docker.io/team/cache");
  for (const char* bad : {"127.0.0.1:5000/cache:1", "127.0.0.1:5000/cache:latest", "cache",
                          "127.0.0.1:5000/cache@sha256:0000000000000000000000000000000000000000000000000000000000000000"})
    EXPECT_THROW(parse_repository(bad), Error) << bad;
}

}  // namespace
}  // namespace xb::registry
