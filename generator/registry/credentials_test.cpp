// Finding credentials as docker does, without a registry: config.json auths
// under their various key spellings, credHelpers before credsStore, helpers
// that know nothing or are missing.
#include "registry/credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/registry_server.h"
#include "registry/session.h"
#include "util/error.h"

namespace xb::registry {
namespace {

namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    old_path_ = std::getenv("PATH");
    ::setenv("PATH", ((tmp / "bin").string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override { ::setenv("PATH", old_path_.c_str(), 1); }
  void config(const std::string& json) { regtest::write_text(tmp / "docker" / "config.json", json); }
  void helper(const std::string& name, const std::string& body) {
    regtest::write_text(tmp / "bin" / ("docker-credential-" + name), "#!/bin/sh\n" + body);
    fs::permissions(tmp / "bin" / ("docker-credential-" + name), fs::perms(0755));
  }

  test::TempDir tmp;
  std::string old_path_;
};

TEST_F(CredentialsTest, NoConfigIsAnonymous) { EXPECT_FALSE(find_credentials("docker.io")); }

TEST_F(CredentialsTest, AuthsUnderDockersKeySpellings) {
  // "hub:pw" and "me:secret:with:colons"
  config(R"({"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"},
             "https://reg.example.com:5000/v2/":{"auth":"bWU6c2VjcmV0OndpdGg6Y29sb25z"},
             "plain.example.com":{"username":"u","password":"p"}}})");
  auto hub = find_credentials("docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hub");
  EXPECT_EQ(hub->secret, "pw");
  auto port = find_credentials("reg.example.com:5000");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->username, "me");
  EXPECT_EQ(port->secret, "secret:with:colons");
  auto plain = find_credentials("plain.example.com");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->secret, "p");
  EXPECT_FALSE(find_credentials("reg.example.com"));  // another port is another registry
}

TEST_F(CredentialsTest, HelperBeforeStoreAndNotFound) {
  helper("ecr", "read s; printf '{\"Username\":\"AWS\",\"Secret\":\"tok-%s\"}' \"$s\"\n");
  helper("store", "echo 'credentials not found in native keychain'; exit 1\n");
  config(R"({"credsStore":"store","credHelpers":{"1234.dkr.ecr.us-east-2.amazonaws.com":"ecr"},
             "auths":{"other.example.com":{"auth":"bzpw"}}})");
  auto ecr = find_credentials("1234.dkr.ecr.us-east-2.amazonaws.com");
  ASSERT_TRUE(ecr);
  EXPECT_EQ(ecr->username, "AWS");
  EXPECT_EQ(ecr->secret, "tok-1234.dkr.ecr.us-east-2.amazonaws.com");
  EXPECT_EQ(ecr->source, "docker-credential-ecr");
  // The store knows nothing about it: the auths entry is used.
  auto other = find_credentials("other.example.com");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->username, "o");
  EXPECT_FALSE(find_credentials("nothing.example.com"));
}

TEST_F(CredentialsTest, MissingOrFailingHelperIsARuntimeError) {
  config(R"({"credHelpers":{"r.example.com":"absent"}})");
  try {
    find_credentials("r.example.com");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    EXPECT_NE(std::string(e.what()).find("docker-credential-absent was not found"), std::string::npos) << e.what();
  }
  helper("broken", "echo 'token expired' >&2; exit 3\n");
  config(R"({"credHelpers":{"r.example.com":"broken"}})");
  try {
    find_credentials("r.example.com");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token expired"), std::string::npos) << e.what();
  }
}

TEST_F(CredentialsTest, HelperStdoutIsNeverShown) {
  // Failing after printing the secret, and printing it in a form xraybake cannot read.
  helper("leaky", "printf '{\"Username\":\"u\",\"Secret\":\"hunter2-secret\"}'; exit 1\n");
  helper("garbled", "printf 'Secret=hunter2-secret'\n");
  for (const char* name : {"leaky", "garbled"}) {
    config(std::string(R"({"credHelpers":{"r.example.com":")") + name + R"("}})");
    try {
      find_credentials("r.example.com");
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
      EXPECT_EQ(e.hint().find("hunter2"), std::string::npos) << e.hint();
      EXPECT_NE(std::string(e.what()).find(std::string("docker-credential-") + name), std::string::npos) << e.what();
    }
  }
}

TEST(HttpAllowedTest, OnlyLoopbackOrNamed) {
  EXPECT_TRUE(http_allowed("localhost:5000", {}));
  EXPECT_TRUE(http_allowed("127.0.0.1:5000", {}));
  EXPECT_TRUE(http_allowed("[::1]:5000", {}));
  EXPECT_FALSE(http_allowed("registry.internal:5000", {}));
  EXPECT_TRUE(http_allowed("registry.internal:5000", {"registry.internal:5000"}));
  EXPECT_TRUE(http_allowed("registry.internal:5000", {"registry.internal"}));
  EXPECT_FALSE(http_allowed("docker.io", {"registry.internal"}));
}

}  // namespace
}  // namespace xb::registry
