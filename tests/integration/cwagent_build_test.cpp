// `xraybake build` of an agent.kind: cloudwatch-agent descriptor through the
// real binary, against the stand-in packaged like AWS's
// amazon-cloudwatch-agent.deb (/opt/aws/amazon-cloudwatch-agent/..., the ctl
// script, the tools an image never needs, a JMX jar, the schema in doc/) and
// its detached .sig, served by a loopback HTTP server (XRAYBAKE_CWAGENT_URL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

#include "fixtures/fixtures.h"
#include "integration/cli_helpers.h"
#include "support/http_server.h"
#include "support/temp_dir.h"

namespace xb::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kDeb = "/cwagent/ubuntu/{arch}/1.300071.0/amazon-cloudwatch-agent.deb";

std::string descriptor(const std::string& extra = "") {
  return "apiVersion: xraybake/v1\n"
         "service:\n"
         "  name: orders-api\n"
         "  base: oci:" + fixtures::base_multi_oci() + ":latest\n"
         "  platforms: [linux/amd64, linux/arm64]\n"
         "  command: [/usr/local/bin/standin-app]\n"
         "agent:\n"
         "  kind: cloudwatch-agent\n"
         "  version: 1.300071.0\n"
         "  signing_key: standin-signing-key.asc\n"
         "  region: eu-west-1\n"
         "  local_mode: true\n"
         "  flush_grace: 4s\n" + extra;
}

std::string path_of(const std::string& arch) {
  std::string p = kDeb;
  p.replace(p.find("{arch}"), 6, arch);
  return p;
}

using Overrides = std::map<std::string, std::optional<std::string>>;

// Serves the stand-in's files by path; OVERRIDE replaces (or, empty, removes) some.
struct Mirror {
  std::map<std::string, std::string> files;
  HttpServer server;
  explicit Mirror(Overrides override = {})
      : server([this](const Request& r) {
          auto it = files.find(r.target);
          return it == files.end() ? Response::status_only(404) : Response::bytes(it->second);
        }) {
    for (const std::string arch : {"amd64", "arm64"}) {
      files[path_of(arch)] = slurp(fixtures::deb_dir() + path_of(arch));
      files[path_of(arch) + ".sig"] = slurp(fixtures::deb_dir() + path_of(arch) + ".sig");
    }
    for (auto& [path, body] : override) {
      if (body) files[path] = *body;
      else files.erase(path);
    }
  }
  std::string url(const std::string& path) const { return server.url(path); }
};

RunResult build(const TempDir& dir, const Mirror& mirror) {
  return run_command({XB_XRAYBAKE_BIN, "build", "-o", "out", "--cache-dir", (dir / "cache").string()},
                     {{"XRAYBAKE_CWAGENT_URL", mirror.url(kDeb)}, {"SOURCE_DATE_EPOCH", "1700000000"}},
                     dir.path().string());
}

void prepare(const TempDir& dir, const std::string& extra = "") {
  spit(dir / "xraybake.yaml", descriptor(extra));
  fs::copy_file(fixtures::signing_key_asc(), dir / "standin-signing-key.asc");
}

std::vector<std::string> tar_lines(const fs::path& layer, std::vector<std::string> argv) {
  argv.insert(argv.begin(), "tar");
  argv.push_back(layer.string());
  auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return lines(r.out);
}

bool cache_has_blobs(const TempDir& dir) {
  std::error_code ec;
  fs::path blobs = dir / "cache/blobs/sha256";
  return fs::exists(blobs, ec) && !fs::is_empty(blobs, ec);
}

TEST(CwagentBuild, DetachedSignatureCheckedAndTheLayerHoldsOnlyWhatAContainerNeeds) {
  TempDir dir;
  Mirror mirror;
  prepare(dir);
  auto r = build(dir, mirror);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string arch : {"amd64", "arm64"}) {
    std::vector<std::string> files;
    for (const auto& l : tar_lines(dir / ("out/layers/cloudwatch-agent-" + arch + ".tar.gz"), {"-tzf"}))
      if (l.back() != '/') files.push_back(l);
    EXPECT_EQ(files, (std::vector<std::string>{"opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent",
                                               "opt/aws/amazon-cloudwatch-agent/bin/config-translator",
                                               "opt/aws/amazon-cloudwatch-agent/bin/start-amazon-cloudwatch-agent",
                                               "opt/aws/amazon-cloudwatch-agent/etc/common-config.toml"}))
        << arch;
  }
  // Both the .deb and its .sig were fetched, per platform.
  std::vector<std::string> targets;
  for (const auto& q : mirror.server.requests()) targets.push_back(q.target);
  for (const std::string arch : {"amd64", "arm64"}) {
    EXPECT_THAT(targets, ::testing::Contains(path_of(arch)));
    EXPECT_THAT(targets, ::testing::Contains(path_of(arch) + ".sig"));
  }
  // The generated JSON, reviewed in OUT and put in the service layer where the start program reads it.
  auto config = nlohmann::json::parse(slurp(dir / "out/agent/amazon-cloudwatch-agent.json"));
  EXPECT_EQ(config["traces"]["traces_collected"]["xray"]["tcp_proxy"]["bind_address"], "127.0.0.1:2000");
  EXPECT_EQ(config["traces"]["region_override"], "eu-west-1");
  EXPECT_EQ(config["traces"]["local_mode"], true);
  // The agent's etc/, var/ and logs/ belong to the service user; nothing else in the service layer does.
  std::vector<std::string> owned;
  for (const auto& l : tar_lines(dir / "out/layers/service.tar.gz", {"--numeric-owner", "-tvzf"}))
    if (l.find(" 0/0 ") == std::string::npos) owned.push_back(l.substr(l.rfind(' ') + 1));
  EXPECT_EQ(owned, (std::vector<std::string>{"opt/aws/amazon-cloudwatch-agent/etc/",
                                             "opt/aws/amazon-cloudwatch-agent/logs/",
                                             "opt/aws/amazon-cloudwatch-agent/var/"}));
  std::string lock = slurp(dir / "xraybake.lock");
  EXPECT_THAT(lock, HasSubstr("https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/ubuntu/amd64/"
                              "1.300071.0/amazon-cloudwatch-agent.deb"));
}

void expect_refused(const RunResult& r, const TempDir& dir, const Mirror& mirror, const std::string& why) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Both URLs: the .sig's, and the .deb's on its own.
  const std::string deb = mirror.url(path_of("amd64"));
  EXPECT_THAT(r.err, HasSubstr("error: " + deb + ".sig"));
  bool deb_named = false;
  for (size_t at = r.err.find(deb); at != std::string::npos; at = r.err.find(deb, at + 1))
    deb_named |= r.err.compare(at + deb.size(), 4, ".sig") != 0;
  EXPECT_TRUE(deb_named) << r.err;
  EXPECT_THAT(r.err, HasSubstr(why));
  EXPECT_THAT(r.err, HasSubstr("nothing was pinned or cached"));
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_FALSE(fs::exists(dir / "xraybake.lock"));
  EXPECT_FALSE(cache_has_blobs(dir));
}

TEST(CwagentBuild, AMissingSignatureIsRefusedNamingBothUrlsAndNothingIsKept) {
  TempDir dir;
  Mirror mirror(Overrides{{path_of("amd64") + ".sig", std::nullopt}});
  prepare(dir);
  expect_refused(build(dir, mirror), dir, mirror, "HTTP 404: no detached signature");
}

TEST(CwagentBuild, ABadSignatureIsRefusedNamingBothUrlsAndNothingIsKept) {
  TempDir dir;
  Mirror mirror(Overrides{{path_of("amd64") + ".sig", slurp(fixtures::deb_dir() + "/variants/cwagent-amd64-bad.sig")}});
  prepare(dir);
  expect_refused(build(dir, mirror), dir, mirror, "BAD signature");
  // The arm64 .sig over the amd64 .deb: a good signature, of other bytes.
  TempDir other;
  Mirror swapped(Overrides{{path_of("amd64") + ".sig", slurp(fixtures::deb_dir() + path_of("arm64") + ".sig")}});
  prepare(other);
  expect_refused(build(other, swapped), other, swapped, "does not verify");
}

TEST(CwagentBuild, AgentConfigCheckedAgainstTheSchemaInTheDeb) {
  TempDir dir;
  Mirror mirror;
  prepare(dir, "  config:\n    traces:\n      concurrency: many\n    agent: {debug: true}\n");
  auto r = build(dir, mirror);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("xraybake.yaml:16:20: agent.config.traces.concurrency:"));
  EXPECT_THAT(r.err, HasSubstr("/opt/aws/amazon-cloudwatch-agent/doc/amazon-cloudwatch-agent-schema.json"));
  EXPECT_FALSE(fs::exists(dir / "out"));

  // What the schema allows builds.
  TempDir ok;
  prepare(ok, "  config:\n    traces: {concurrency: 4}\n    agent: {debug: true}\n");
  auto good = build(ok, mirror);
  ASSERT_EQ(good.exit_code, 0) << good.err;
  auto config = nlohmann::json::parse(slurp(ok / "out/agent/amazon-cloudwatch-agent.json"));
  EXPECT_EQ(config["traces"]["concurrency"], 4);
  EXPECT_EQ(config["agent"]["debug"], true);
}

}  // namespace
}  // namespace xb::test
