// Pushing with credentials (config.json auths, a credential helper) to a
// registry with htpasswd auth, and over TLS from a private CA.
#include <gtest/gtest.h>

#include <cstdlib>

#include "registry/push.h"
#include "registry/registry_server.h"
#include "registry/test_image.h"
#include "util/error.h"

namespace xb::registry {
namespace {

using regtest::quote;
using regtest::shell;
namespace fs = std::filesystem;

class PushAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOL("docker-registry", "docker-registry");
    XB_REQUIRE_TOOL("skopeo", "skopeo");
    XB_REQUIRE_TOOL("htpasswd", "apache2-utils");
    XB_REQUIRE_TOOL("openssl", "openssl");
    ::setenv("DOCKER_CONFIG", (tmp / "docker").c_str(), 1);
    options.cache_dir = (tmp / "cache").string();
    img = regtest::make_test_image(tmp / "img", "v1", {regtest::test_bytes(100000, 3)});
  }

  void write_auths(const std::string& host, const std::string& user, const std::string& password) {
    auto b64 = shell("printf %s " + quote(user + ":" + password) + " | base64 -w0").output;
    regtest::write_text(tmp / "docker" / "config.json",
                     R"({"auths":{")" + host + R"(":{"auth":")" + b64 + R"("}}})");
  }

  regtest::TempDir tmp;
  RegistryOptions options;
  regtest::TestImage img;
};

TEST_F(PushAuthTest, HtpasswdWithConfigJsonAuths) {
  regtest::RegistryServer reg({"ci", "s3cret", false});
  write_auths(reg.host(), "ci", "s3cret");
  PushResult r = push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  auto inspect = shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/app:v1");
  EXPECT_EQ(inspect.status, 0) << inspect.output;
}

TEST_F(PushAuthTest, WrongPasswordFailsClearlyAndWritesNoTag) {
  regtest::RegistryServer reg({"ci", "s3cret", false});
  write_auths("http://" + reg.host() + "/v1/", "ci", "wrong");
  try {
    push(tmp / "img", "v1", reg.host() + "/app:v1", options);
    FAIL() << "push with a wrong password succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::runtime);
    std::string msg = e.what();
    EXPECT_NE(msg.find("authentication failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"ci\""), std::string::npos) << msg;
    EXPECT_NE(msg.find(reg.host()), std::string::npos) << msg;
    EXPECT_NE(e.hint().find("docker login"), std::string::npos) << e.hint();
  }
  auto inspect = shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/app:v1");
  EXPECT_NE(inspect.status, 0);
  EXPECT_NE(inspect.output.find("manifest unknown"), std::string::npos) << inspect.output;
}

TEST_F(PushAuthTest, NoCredentialsSaysToLogIn) {
  regtest::RegistryServer reg({"ci", "s3cret", false});
  try {
    push(tmp / "img", "v1", reg.host() + "/app:v1", options);
    FAIL() << "push without credentials succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without credentials"), std::string::npos) << e.what();
  }
}

TEST_F(PushAuthTest, CredentialHelperOnPath) {
  regtest::RegistryServer reg({"helper-user", "from-helper", false});
  // A docker-credential-* helper as ECR's works: server on stdin, JSON out.
  fs::path bin = tmp / "bin";
  regtest::write_text(bin / "docker-credential-fake",
                   "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> " +
                       quote((tmp / "asked").string()) +
                       "\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"from-helper\"}' \"$server\"\n");
  fs::permissions(bin / "docker-credential-fake", fs::perms(0755));
  ::setenv("PATH", (bin.string() + ":" + std::getenv("PATH")).c_str(), 1);
  regtest::write_text(tmp / "docker" / "config.json", R"({"credHelpers":{")" + reg.host() + R"(":"fake"}})");

  PushResult r = push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_EQ(shell("cat " + quote((tmp / "asked").string())).output.substr(0, reg.host().size()), reg.host());

  // credsStore is the fallback for every registry.
  regtest::write_text(tmp / "docker" / "config.json", R"({"credsStore":"fake"})");
  EXPECT_EQ(push(tmp / "img", "v1", reg.host() + "/app:v2", options).digest, img.index_digest);
}

TEST_F(PushAuthTest, BearerTokenFlowWithScopes) {
  XB_REQUIRE_TOOL("python3", "python3");
  regtest::RegistryServer reg({"robot", "t0ken-pass", false, true});
  write_auths(reg.host(), "robot", "t0ken-pass");
  PushResult r = push(tmp / "img", "v1", reg.host() + "/team/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  EXPECT_NE(reg.token_requests().find("repository:team/app:pull,push"), std::string::npos) << reg.token_requests();

  // A mount asks for pull on the source repository too.
  push(tmp / "img", "v1", reg.host() + "/team/other:v1", options);
  EXPECT_NE(reg.token_requests().find("repository:team/other:pull,push repository:team/app:pull"), std::string::npos)
      << reg.token_requests();

  write_auths(reg.host(), "robot", "nope");
  try {
    push(tmp / "img", "v1", reg.host() + "/team/app:v2", options);
    FAIL() << "the token server accepted a wrong password";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("authentication failed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/token"), std::string::npos) << e.what();
  }
}

TEST_F(PushAuthTest, TlsWithPrivateCa) {
  regtest::RegistryServer reg({"", "", true});
  // Not trusted by default: the error names the registry and the fix.
  try {
    push(tmp / "img", "v1", reg.host() + "/app:v1", options);
    FAIL() << "push to an untrusted certificate succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(reg.host()), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("XRAYBAKE_CA_BUNDLE"), std::string::npos) << e.hint();
  }
  options.ca_file = reg.ca_file();
  PushResult r = push(tmp / "img", "v1", reg.host() + "/app:v1", options);
  EXPECT_EQ(r.digest, img.index_digest);
  auto inspect = shell("skopeo inspect --raw" + reg.skopeo_flags() + " docker://" + reg.host() + "/app:v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;

  // The same through the environment, as CI would set it.
  options.ca_file.clear();
  ::setenv("XRAYBAKE_CA_BUNDLE", reg.ca_file().c_str(), 1);
  EXPECT_EQ(push(tmp / "img", "v1", reg.host() + "/app:v3", options).digest, img.index_digest);
  ::unsetenv("XRAYBAKE_CA_BUNDLE");
}

}  // namespace
}  // namespace xb::registry
