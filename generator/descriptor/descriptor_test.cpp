#include "descriptor/descriptor.h"

#include <gtest/gtest.h>

#include "descriptor/image_names.h"
#include "descriptor/suggest.h"
#include "util/error.h"

namespace xb {
namespace {

// design.md's descriptor, every key given.
const char* kFull = R"(apiVersion: xraybake/v1
service:
  name: orders-api
  base: oci:build/app-oci:latest
  platforms: [linux/amd64, linux/arm64]
  command: [dotnet, App.dll, "--urls=http://+:5000 $X"]
  workdir: /app
  user: "1000:2000"
  env: {ASPNETCORE_URLS: "http://+:5000", WORKERS: 4, DEBUG: true}
  ports: ["5000/tcp", 8125/udp, 9000]
  stop_timeout: 2m
  tag: registry.example.com:5000/team/orders-api:1.4.2
  labels: {team: payments}
xray:
  version: 3.6.6
  bucket_region: eu-west-1
  url: https://mirror.example.com/{region}/{arch}/{version}.deb
  sha256: {amd64: "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}
  config: {LocalMode: yes, Region: eu-west-1, Logging: {LogLevel: warn}, Socket: {UDPAddress: "0.0.0.0:2000"}}
  args: [--log-level, debug]
  log: /var/log/xray/xray.log
  flush_grace: 1m
  ready_timeout: 2500ms
  restart: {max_backoff: 1m30s}
)";

TEST(Descriptor, ReadsEveryKey) {
  Descriptor d = parse_descriptor(kFull, "/srv/orders/xraybake.yaml");
  EXPECT_EQ(d.dir, "/srv/orders");
  EXPECT_EQ(d.service.name, "orders-api");
  EXPECT_EQ(d.service.platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64"}));
  EXPECT_EQ(d.service.command, (std::vector<std::string>{"dotnet", "App.dll", "--urls=http://+:5000 $X"}));
  EXPECT_EQ(d.service.workdir, "/app");
  EXPECT_EQ(d.service.uid, 1000u);
  EXPECT_EQ(d.service.gid, 2000u);
  using Env = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(d.service.env, (Env{{"ASPNETCORE_URLS", "http://+:5000"}, {"WORKERS", "4"}, {"DEBUG", "true"}}));
  EXPECT_EQ(d.service.ports, (std::vector<std::string>{"5000/tcp", "8125/udp", "9000/tcp"}));
  EXPECT_EQ(d.service.stop_timeout, Millis(120000));
  EXPECT_EQ(d.service.tag, "registry.example.com:5000/team/orders-api:1.4.2");
  EXPECT_EQ(d.service.labels.at("team"), "payments");
  EXPECT_EQ(d.xray.version, "3.6.6");
  EXPECT_EQ(d.xray.bucket_region, "eu-west-1");
  EXPECT_EQ(d.xray.url, "https://mirror.example.com/{region}/{arch}/{version}.deb");
  EXPECT_EQ(d.xray.sha256.at("amd64"), "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_EQ(d.xray.config.dump(),
            R"({"LocalMode":true,"Region":"eu-west-1","Logging":{"LogLevel":"warn"},"Socket":{"UDPAddress":"0.0.0.0:2000"},)"
            R"("TotalBufferSizeMB":16,"Version":2})");
  EXPECT_EQ(d.xray.args, (std::vector<std::string>{"--log-level", "debug"}));
  EXPECT_EQ(d.xray.log, "/var/log/xray/xray.log");
  EXPECT_EQ(d.xray.flush_grace, Millis(60000));
  EXPECT_EQ(d.xray.ready_timeout, Millis(2500));
  EXPECT_EQ(d.xray.max_backoff, Millis(90000));
  EXPECT_EQ(sdk_daemon_address(d.xray), "127.0.0.1:2000");  // 0.0.0.0 is reached on loopback
  EXPECT_EQ(daemon_udp_address(d.xray), "0.0.0.0:2000");
  BaseRef base = parse_base(d);
  EXPECT_TRUE(base.oci_layout);
  EXPECT_EQ(base.dir, "/srv/orders/build/app-oci");
  EXPECT_EQ(base.tag, "latest");
}

TEST(Descriptor, WarnsAboutAStopTimeoutAboveFargatesMaximum) {
  Descriptor d = parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: b, stop_timeout: 3m}\n", "w.yaml");
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0].str(),
            "w.yaml:2:43: warning: service.stop_timeout (3m) is more than Fargate's maximum stopTimeout (120s); on EC2 "
            "set ECS_CONTAINER_STOP_TIMEOUT to at least this");
  EXPECT_TRUE(parse_descriptor(kFull, "x.yaml").warnings.empty());  // exactly 2m
}

TEST(Descriptor, CompressionIsGzipOrZstd) {
  EXPECT_EQ(parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: b}\n", "c.yaml").service.compression,
            oci::Compression::gzip);
  EXPECT_EQ(parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: b, compression: zstd}\n", "c.yaml")
                .service.compression,
            oci::Compression::zstd);
  try {
    parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: b, compression: xz}\n", "c.yaml");
    FAIL() << "xz was taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.yaml:2:42: service.compression: unknown compression \"xz\" (use gzip"),
              std::string::npos)
        << e.what();
  }
}

TEST(Descriptor, FillsDefaults) {
  Descriptor d = parse_descriptor("apiVersion: xraybake/v1\nservice: {name: api, base: \"debian:12\"}\n", "/x/y.yaml");
  EXPECT_EQ(d.service.platforms, std::vector<std::string>{"linux/amd64"});
  EXPECT_TRUE(d.service.command.empty());
  EXPECT_FALSE(d.service.workdir);
  EXPECT_EQ(user_string(d.service), "10001:10001");
  EXPECT_EQ(d.service.stop_timeout, Millis(30000));
  EXPECT_EQ(d.service.tag, "api:latest");
  EXPECT_EQ(d.xray.version, "3.x");
  EXPECT_EQ(d.xray.bucket_region, "us-east-2");
  EXPECT_EQ(d.xray.url, kDefaultDaemonUrl);
  EXPECT_TRUE(d.xray.sha256.empty());
  EXPECT_EQ(d.xray.config.dump(), R"({"TotalBufferSizeMB":16,"Version":2})");
  EXPECT_EQ(d.xray.log, "stdout");
  EXPECT_EQ(d.xray.flush_grace, Millis(5000));
  EXPECT_EQ(d.xray.ready_timeout, Millis(5000));
  EXPECT_EQ(d.xray.max_backoff, Millis(30000));
  EXPECT_FALSE(d.xray.signing_key);
  EXPECT_EQ(sdk_daemon_address(d.xray), "127.0.0.1:2000");
  BaseRef base = parse_base(d);
  EXPECT_FALSE(base.oci_layout);
  EXPECT_EQ(base.reference, "debian:12");
}

TEST(Descriptor, RelativePathsResolveAgainstTheDescriptor) {
  Descriptor d;
  d.dir = "/work/svc";
  d.service.base = "oci:../images/base";
  BaseRef base = parse_base(d);
  EXPECT_EQ(base.dir, "/work/images/base");
  EXPECT_EQ(base.tag, "");
  d.service.base = "oci:/abs/layout:v2";
  EXPECT_EQ(parse_base(d).dir, "/abs/layout");
  EXPECT_EQ(parse_base(d).tag, "v2");
  EXPECT_EQ(resolve_path(d, "keys/aws.asc"), "/work/svc/keys/aws.asc");
}

TEST(Descriptor, SigningKeyIsResolvedAndMustExist) {
  std::string dir = ::testing::TempDir();
  std::string key = dir + "/signer.asc";
  FILE* f = std::fopen(key.c_str(), "w");
  std::fputs("key", f);
  std::fclose(f);
  Descriptor d = parse_descriptor("apiVersion: xraybake/v1\nservice: {name: a, base: b}\nxray: {signing_key: signer.asc}\n",
                                  dir + "/xraybake.yaml");
  EXPECT_EQ(std::filesystem::path(*d.xray.signing_key), std::filesystem::path(key).lexically_normal());
}

TEST(Duration, ParsesAndFormats) {
  EXPECT_EQ(parse_duration("30s"), Millis(30000));
  EXPECT_EQ(parse_duration("250ms"), Millis(250));
  EXPECT_EQ(parse_duration("2m"), Millis(120000));
  EXPECT_EQ(parse_duration("1m30s"), Millis(90000));
  EXPECT_EQ(parse_duration("1.5s"), Millis(1500));
  for (auto bad : {"", "30", "s", "1h", "-1s", "1.s", ".5s", "1..5s", "1 s", "5sec"})
    EXPECT_FALSE(parse_duration(bad)) << bad;
  EXPECT_EQ(format_duration(Millis(30000)), "30s");
  EXPECT_EQ(format_duration(Millis(120000)), "2m");
  EXPECT_EQ(format_duration(Millis(1500)), "1500ms");
  EXPECT_EQ(format_duration(Millis(0)), "0s");
}

TEST(Suggest, NearestKey) {
  std::vector<std::string> keys{"name", "base", "platforms", "stop_timeout"};
  EXPECT_EQ(nearest("nmae", keys), "name");
  EXPECT_EQ(nearest("platform", keys), "platforms");
  EXPECT_EQ(nearest("NAME", keys), "name");
  EXPECT_EQ(nearest("stop", keys), "stop_timeout");
  EXPECT_EQ(nearest("zzzzzzzz", keys), std::nullopt);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ImageNames, Grammar) {
  for (auto ok : {"orders-api", "a", "app.v2", "my__app", "a--b"}) EXPECT_TRUE(valid_image_name(ok)) << ok;
  for (auto bad : {"Orders", "-a", "a-", "a..b", "a b", "", "a/b"}) EXPECT_FALSE(valid_image_name(bad)) << bad;
  EXPECT_TRUE(valid_image_reference("localhost:5000/a/b:1.0@sha256:" + std::string(64, 'f')));
  EXPECT_TRUE(valid_image_reference("debian:12"));
  EXPECT_FALSE(valid_image_reference("Debian:12"));
  EXPECT_FALSE(valid_image_tag_ref("a:b@sha256:" + std::string(64, 'f')));
  // A tag without a name, or a version where the name belongs.
  for (auto bad : {":1.2", "1.2", "1.4.2:latest", "2"}) EXPECT_FALSE(valid_image_tag_ref(bad)) << bad;
  for (auto ok : {"api:1.2", "10.0.0.1:5000/app:1.2", "app2:3"}) EXPECT_TRUE(valid_image_tag_ref(ok)) << ok;
}

}  // namespace
}  // namespace xb
