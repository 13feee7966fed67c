#include "render/render.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agents/agent.h"
#include "render/escape.h"
#include "render/service_files.h"
#include "render/template.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "util/error.h"
#include "util/fs.h"

namespace xb {
namespace {

// An argument that breaks naive quoting in every format.
const std::string kNasty = "it's \"quoted\" $HOME `x` \\ back\nnew line";

Descriptor sample() {
  Descriptor d;
  d.path = "/src/orders/xraybake.yaml";
  d.dir = "/src/orders";
  d.service.name = "orders-api";
  d.service.base = "oci:build/app-oci:latest";
  d.service.command = {"dotnet", "App.dll", kNasty};
  d.service.workdir = "/app";
  d.service.env = {{"ASPNETCORE_URLS", "http://+:5000"}, {"GREETING", "say \"hi\" $USER"}};
  d.service.ports = {"5000/tcp", "8125/udp"};
  d.service.tag = "orders-api:1.4.2";
  d.service.labels = {{"team", "pay ments"}};
  d.xray.config = {{"LocalMode", true}, {"Region", "no"}};
  return d;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string line_starting(const std::string& text, std::string_view prefix) {
  for (const auto& l : lines_of(text))
    if (l.starts_with(prefix)) return l;
  return {};
}


TEST(Render, DockerfileHasTheContractLines) {
  auto df = render_dockerfile(sample(), {});
  // A local layout: ARG BASE names it (podman reads it), --build-arg BASE= replaces it for Docker.
  EXPECT_EQ(line_starting(df, "ARG BASE="), "ARG BASE=oci:/src/orders/build/app-oci:latest");
  EXPECT_EQ(line_starting(df, "FROM "), "FROM ${BASE}");
  EXPECT_NE(df.find("#   skopeo copy --override-arch amd64 oci:/src/orders/build/app-oci:latest "
                    "docker-daemon:xraybake-base/"),
            std::string::npos)
      << df;
  EXPECT_NE(df.find("ARG TARGETARCH\nADD layers/xray-daemon-${TARGETARCH}.tar.gz /\n"
                    "ADD layers/xraybake-init-${TARGETARCH}.tar.gz /\nADD layers/service.tar.gz /\n"),
            std::string::npos);
  EXPECT_EQ(line_starting(df, "USER "), "USER 10001:10001");
  EXPECT_EQ(line_starting(df, "ENV AWS_XRAY"), "ENV AWS_XRAY_DAEMON_ADDRESS=\"127.0.0.1:2000\"");
  EXPECT_EQ(line_starting(df, "ENV GREETING"), "ENV GREETING=\"say \\\"hi\\\" \\$USER\"");
  EXPECT_EQ(line_starting(df, "WORKDIR"), "WORKDIR /app");
  EXPECT_EQ(line_starting(df, "EXPOSE 5000"), "EXPOSE 5000/tcp");
  EXPECT_EQ(line_starting(df, "LABEL"), "LABEL \"team\"=\"pay ments\"");
  EXPECT_EQ(line_starting(df, "STOPSIGNAL"), "STOPSIGNAL SIGTERM");
  EXPECT_EQ(df.find("RUN "), std::string::npos);
  auto entry = nlohmann::json::parse(line_starting(df, "ENTRYPOINT ").substr(11));
  EXPECT_EQ(entry, nlohmann::json({"/usr/local/bin/xraybake-init", "--config", "/etc/xraybake/init.conf", "--"}));
  // The exec-form CMD parses back to exactly the command, newline and all.
  auto cmd = nlohmann::json::parse(line_starting(df, "CMD ").substr(4));
  EXPECT_EQ(cmd.get<std::vector<std::string>>(), sample().service.command);
}

TEST(Render, DescriptorFileNameCanNotAddADockerfileInstruction) {
  auto d = sample();
  d.path = "/src/orders/x.yaml\nRUN curl evil | sh\r\nUSER 0\n#.yaml";
  auto df = render_dockerfile(d, {});
  EXPECT_EQ(line_starting(df, "RUN"), "");
  EXPECT_EQ(line_starting(df, "USER "), "USER 10001:10001");
  EXPECT_NE(lines_of(df)[0].find("from x.yaml\\x0ARUN curl evil | sh\\x0D\\x0AUSER 0\\x0A#.yaml for"), std::string::npos)
      << lines_of(df)[0];
}

TEST(Render, AppReachesADualStackBindOverIPv4) {
  auto d = sample();
  d.xray.config["Socket"] = {{"UDPAddress", "[::]:2000"}, {"TCPAddress", "[::]:2000"}};
  EXPECT_EQ(image_env(d)[0].second, "127.0.0.1:2000");  // the Node SDK can not parse [::1]
}

TEST(Render, DockerfileKeepsRegistryBaseAndOmitsEmptyCmd) {
  auto d = sample();
  d.service.base = "registry.example.com:5000/team/app@sha256:" + std::string(64, 'a');
  d.service.command.clear();
  d.service.workdir.reset();
  auto df = render_dockerfile(d, {});
  EXPECT_EQ(line_starting(df, "FROM "), "FROM " + d.service.base);
  EXPECT_EQ(line_starting(df, "CMD "), "");
  EXPECT_EQ(line_starting(df, "WORKDIR"), "");
  RenderOptions with_base;
  with_base.base_command = std::vector<std::string>{"/bin/app", "--serve"};
  EXPECT_EQ(line_starting(render_dockerfile(d, with_base), "CMD "), "CMD [\"/bin/app\", \"--serve\"]");
}

TEST(Render, EntrypointScriptPassesArgumentsIntact) {
  test::TempDir tmp;
  auto script = render_entrypoint(sample(), {});
  EXPECT_TRUE(script.starts_with("#!/bin/sh\n"));
  EXPECT_EQ(lines_of(script).back(),
            "exec /usr/local/bin/xraybake-init --config /etc/xraybake/init.conf -- \"$@\"");
  // A fake supervisor that prints each argument NUL-terminated.
  auto fake = tmp.path() / "fake-init";
  write_file_atomic(fake, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n", fs::perms(0755));
  std::string patched = script;
  patched.replace(patched.find(kInitPath), kInitPath.size(), fake.string());
  auto path = tmp.path() / "docker-entrypoint.sh";
  write_file_atomic(path, patched, fs::perms(0755));
  EXPECT_EQ(test::run_command({"sh", "-n", path.string()}).exit_code, 0);
  auto result = test::run_command({path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::string out = result.out;
  std::vector<std::string> args;
  for (size_t start = 0, end; (end = out.find('\0', start)) != std::string::npos; start = end + 1)
    args.push_back(out.substr(start, end - start));
  std::vector<std::string> want{"--config", "/etc/xraybake/init.conf", "--", "dotnet", "App.dll", kNasty};
  EXPECT_EQ(args, want);
  // Arguments given to the script replace the default command.
  out = test::run_command({path.string(), kNasty}).out;
  EXPECT_EQ(out, std::string("--config\0/etc/xraybake/init.conf\0--\0", 36) + kNasty + std::string(1, '\0'));
}

TEST(Render, EcsFragmentIsValidJsonWithoutUdp) {
  auto d = sample();
  d.service.stop_timeout = Millis(29500);
  auto j = nlohmann::json::parse(render_ecs_task_definition(d, {}));
  EXPECT_EQ(j["image"], "orders-api:1.4.2");
  EXPECT_EQ(j["stopTimeout"], 30);
  EXPECT_EQ(j["essential"], true);
  ASSERT_EQ(j["portMappings"].size(), 1u);
  EXPECT_EQ(j["portMappings"][0]["containerPort"], 5000);
  EXPECT_EQ(j["portMappings"][0]["protocol"], "tcp");
  ASSERT_EQ(j["environment"].size(), 3u);
  EXPECT_EQ(j["environment"][0]["name"], "AWS_XRAY_DAEMON_ADDRESS");
  EXPECT_EQ(j["environment"][2]["value"], "say \"hi\" $USER");
  EXPECT_EQ(j["dockerLabels"]["team"], "pay ments");
}

TEST(Render, InitConfFollowsTheSupervisorContract) {
  auto d = sample();
  d.xray.args = {"--log-level", "debug"};
  d.xray.log = "/var/log/xray/xray.log";
  d.xray.flush_grace = Millis(1500);
  d.xray.config["Socket"] = {{"UDPAddress", "0.0.0.0:3000"}};
  auto conf = render_init_conf(d, {});
  std::vector<std::string> kv;
  for (const auto& l : lines_of(conf))
    if (!l.empty() && l[0] != '#') kv.push_back(l);
  std::vector<std::string> want{"daemon = /usr/bin/xray",
                                "daemon-arg = -c",
                                "daemon-arg = /etc/amazon/xray/cfg.yaml",
                                "daemon-arg = -f",
                                "daemon-arg = /var/log/xray/xray.log",
                                "daemon-arg = --log-level",
                                "daemon-arg = debug",
                                "ready-udp = 0.0.0.0:3000",
                                "ready-timeout = 5s",
                                "flush-grace = 1500ms",
                                "stop-timeout = 30s",
                                "max-backoff = 30s"};
  EXPECT_EQ(kv, want);
  // The SDK reaches a wildcard bind on loopback; TCP (sampling) stays on its default.
  EXPECT_EQ(image_env(d)[0].second, "tcp:127.0.0.1:2000 udp:127.0.0.1:3000");
  d.xray.config["Socket"]["TCPAddress"] = "0.0.0.0:3000";
  EXPECT_EQ(image_env(d)[0].second, "127.0.0.1:3000");
}

TEST(Render, ServiceLayerFiles) {
  auto d = sample();
  d.service.uid = 1234;
  d.service.gid = 5678;
  d.xray.log = "/data/logs/xray.log";
  auto files = service_layer_files(d, {});
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.path + (f.directory ? "/" : ""));
  std::vector<std::string> want{"/data/", "/data/logs/", "/etc/", "/etc/amazon/", "/etc/amazon/xray/",
                                "/etc/amazon/xray/cfg.yaml", "/etc/xraybake/", "/etc/xraybake/init.conf",
                                "/var/", "/var/log/", "/var/log/xray/"};
  EXPECT_EQ(paths, want);
  for (const auto& f : files) {
    bool user_owned = f.path == "/var/log/xray" || f.path == "/data/logs";
    EXPECT_EQ(f.uid, user_owned ? 1234u : 0u) << f.path;
    EXPECT_EQ(f.gid, user_owned ? 5678u : 0u) << f.path;
    EXPECT_EQ(f.mode, f.directory ? 0755u : 0644u) << f.path;
  }
  EXPECT_EQ(files[5].content, agents::agent_for(d).config_files(d)[0].content);
  EXPECT_EQ(files[7].content, render_init_conf(d, {}));
}

TEST(Render, TemplatesDirOverridesOneTemplate) {
  test::TempDir tmp;
  write_file_atomic(tmp.path() / "Dockerfile.mustache", "FROM {{{from}}}\nENV X={{value_that_is_missing}}\n");
  RenderOptions options;
  options.templates_dir = tmp.path().string();
  EXPECT_EQ(render_dockerfile(sample(), options), "FROM oci:/src/orders/build/app-oci:latest\nENV X=\n");
  // The others still come from the embedded copies.
  EXPECT_TRUE(render_entrypoint(sample(), options).starts_with("#!/bin/sh\n"));
  write_file_atomic(tmp.path() / "ecs-task-definition.json.mustache", "{\"image\": {{{image}}}");
  EXPECT_THROW(render_ecs_task_definition(sample(), options), Error);
  write_file_atomic(tmp.path() / "init.conf.mustache", "{{#unclosed}}");
  EXPECT_THROW(render_init_conf(sample(), options), Error);
}

// Templates are parsed once per process (and a fleet parses them before it
// forks): an edited --templates file is still what renders, and one that
// failed fails again until it is fixed.
TEST(Render, ParsedTemplatesFollowTheirText) {
  test::TempDir tmp;
  RenderOptions options;
  options.templates_dir = tmp.path().string();
  const std::string embedded = render_dockerfile(sample(), {});
  preload_templates({});
  preload_templates(options);  // nothing there yet: the embedded ones
  EXPECT_EQ(render_dockerfile(sample(), {}), embedded);
  EXPECT_EQ(render_dockerfile(sample(), options), embedded);
  write_file_atomic(tmp.path() / "Dockerfile.mustache", "FROM {{{from}}}\n");
  EXPECT_EQ(render_dockerfile(sample(), options), "FROM oci:/src/orders/build/app-oci:latest\n");
  write_file_atomic(tmp.path() / "Dockerfile.mustache", "A {{{from}}}\n");
  preload_templates(options);
  EXPECT_EQ(render_dockerfile(sample(), options), "A oci:/src/orders/build/app-oci:latest\n");
  write_file_atomic(tmp.path() / "Dockerfile.mustache", "{{#unclosed}}");
  preload_templates(options);  // a broken template is the build's to report
  EXPECT_THROW(render_dockerfile(sample(), options), Error);
  EXPECT_THROW(render_dockerfile(sample(), options), Error);
  write_file_atomic(tmp.path() / "Dockerfile.mustache", "B {{{from}}}\n");
  EXPECT_EQ(render_dockerfile(sample(), options), "B oci:/src/orders/build/app-oci:latest\n");
  EXPECT_EQ(render_dockerfile(sample(), {}), embedded);
}

TEST(Render, WriteTextOutputs) {
  test::TempDir tmp;
  write_text_outputs(sample(), tmp.path(), {});
  for (auto name : {"Dockerfile", "docker-entrypoint.sh", "ecs-task-definition.json", "cfg.yaml"})
    EXPECT_TRUE(fs::is_regular_file(tmp.path() / name)) << name;
  EXPECT_EQ(fs::status(tmp.path() / "docker-entrypoint.sh").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::status(tmp.path() / "Dockerfile").permissions(), fs::perms(0644));
}

TEST(Escape, ShellQuote) {
  EXPECT_EQ(shell_quote("plain-word_1.2"), "plain-word_1.2");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME x"), "'$HOME x'");
}

TEST(Escape, DockerfileQuoteAndJson) {
  EXPECT_EQ(dockerfile_quote("a \"b\" $c \\d"), "\"a \\\"b\\\" \\$c \\\\d\"");
  EXPECT_EQ(json_array({"a b", "c\"d", "e\nf"}), "[\"a b\", \"c\\\"d\", \"e\\nf\"]");
}

}  // namespace
}  // namespace xb
