// A table of broken descriptors: each must give exactly one problem, at the
// exact line and column, with the exact message.
#include <gtest/gtest.h>

#include "descriptor/descriptor.h"
#include "util/error.h"

namespace xb {
namespace {

// Lines 1-4 of every case; the broken part usually starts on line 5.
const std::string kHead =
    "apiVersion: xraybake/v1\n"
    "service:\n"
    "  name: orders-api\n"
    "  base: oci:app-oci\n";

struct Case {
  const char* name;
  std::string yaml;
  int line;
  int column;
  std::string message;
};

const Case kCases[] = {
    {"syntax_error", "apiVersion: xraybake/v1\nservice: [a,\n", 3, 1, "YAML syntax error: end of sequence flow not found"},
    {"syntax_illegal_value", "apiVersion: xraybake/v1\nservice: a: b\n", 2, 11, "YAML syntax error: illegal map value"},
    {"empty_file", "", 1, 1, "empty descriptor: expected apiVersion, service and xray (xraybake init writes a starter)"},
    {"root_is_a_list", "- a\n", 1, 1, "expected a mapping with apiVersion, service and xray, got a list"},
    {"missing_api_version", "service:\n  name: a\n  base: oci:x\n", 1, 1, "missing apiVersion: xraybake/v1"},
    {"wrong_api_version", "apiVersion: xraybake/v2\nservice:\n  name: a\n  base: oci:x\n", 1, 13,
     "apiVersion: unsupported \"xraybake/v2\" (this xraybake reads xraybake/v1)"},
    {"missing_service", "apiVersion: xraybake/v1\nxray: {}\n", 1, 1, "missing service (with at least name and base)"},
    {"unknown_top_key", kHead + "xary: {}\n", 5, 1, "unknown key \"xary\" (did you mean \"xray\"?)"},
    {"duplicate_key", kHead + "  name: again\n", 5, 3, "duplicate key \"name\" in service (first at line 3)"},
    {"unknown_service_key", kHead + "  stop_timout: 30s\n", 5, 3,
     "unknown key \"stop_timout\" in service (did you mean \"stop_timeout\"?)"},
    {"name_not_an_image_name", "apiVersion: xraybake/v1\nservice:\n  name: Orders_API\n  base: oci:x\n", 3, 9,
     "service.name: \"Orders_API\" is not a valid image name (lowercase letters and digits, with . _ - only between "
     "them, e.g. orders-api)"},
    {"name_ends_with_separator", "apiVersion: xraybake/v1\nservice:\n  name: orders-\n  base: oci:x\n", 3, 9,
     "service.name: \"orders-\" is not a valid image name (lowercase letters and digits, with . _ - only between "
     "them, e.g. orders-api)"},
    {"name_is_a_list", "apiVersion: xraybake/v1\nservice:\n  name: [a]\n  base: oci:x\n", 3, 9,
     "service.name: expected a string, got a list"},
    {"name_missing", "apiVersion: xraybake/v1\nservice:\n  base: oci:x\n", 2, 1,
     "missing service.name (e.g. name: orders-api)"},
    {"name_empty_value", "apiVersion: xraybake/v1\nservice:\n  name:\n  base: oci:x\n", 3, 3,
     "service.name: expected a string, got nothing"},
    {"base_oci_without_dir", "apiVersion: xraybake/v1\nservice:\n  name: a\n  base: \"oci:\"\n", 4, 9,
     "service.base: \"oci:\" has no directory (oci:DIR[:TAG])"},
    {"base_not_a_reference", "apiVersion: xraybake/v1\nservice:\n  name: a\n  base: Not A Ref\n", 4, 9,
     "service.base: \"Not A Ref\" is neither oci:DIR[:TAG] nor an image reference such as "
     "registry.example.com/team/app:1.0"},
    {"platform_unknown", kHead + "  platforms: [linux/amd64, linux/386]\n", 5, 28,
     "service.platforms[1]: unknown platform \"linux/386\" (use linux/amd64 or linux/arm64)"},
    {"platform_twice", kHead + "  platforms: [linux/arm64, linux/arm64]\n", 5, 28,
     "service.platforms[1]: \"linux/arm64\" is listed twice"},
    {"platforms_empty", kHead + "  platforms: []\n", 5, 14,
     "service.platforms: at least one platform is needed (linux/amd64 or linux/arm64)"},
    {"platforms_a_string", kHead + "  platforms: linux/amd64\n", 5, 14,
     "service.platforms: expected a list such as [linux/amd64, linux/arm64], got a string"},
    {"command_a_string", kHead + "  command: dotnet App.dll\n", 5, 12,
     "service.command: expected a list such as [dotnet, App.dll], got a string"},
    {"command_item_a_mapping", kHead + "  command:\n    - dotnet\n    - {a: b}\n", 7, 7,
     "service.command[1]: expected a string, got a mapping"},
    {"command_empty_program", kHead + "  command: [\"\", x]\n", 5, 13,
     "service.command[0]: the program to run must not be empty"},
    {"workdir_relative", kHead + "  workdir: app\n", 5, 12, "service.workdir: \"app\" must be an absolute path, e.g. /app"},
    {"user_not_numeric", kHead + "  user: app\n", 5, 9,
     "service.user: \"app\" is not a numeric uid:gid such as \"10001:10001\""},
    {"user_out_of_range", kHead + "  user: \"4294967295:1\"\n", 5, 9,
     "service.user: \"4294967295:1\" is out of range (uid and gid at most 4294967294)"},
    {"env_bad_name", kHead + "  env:\n    MY-VAR: x\n", 6, 5,
     "service.env: \"MY-VAR\" is not a valid variable name (letters, digits and _, not starting with a digit)"},
    {"env_daemon_address", kHead + "  env: {AWS_XRAY_DAEMON_ADDRESS: \"x:1\"}\n", 5, 9,
     "service.env.AWS_XRAY_DAEMON_ADDRESS is set by xraybake from xray.config.Socket.UDPAddress; set that instead"},
    {"env_value_a_list", kHead + "  env:\n    A: [1, 2]\n", 6, 8, "service.env.A: expected a string, got a list"},
    {"env_value_newline", kHead + "  env:\n    A: \"one\\ntwo\"\n", 6, 8,
     "service.env.A: the value holds U+000A (newline); descriptor values are single-line text: remove the escape"},
    {"value_nul_escape", kHead + "  labels: {team: \"pay\\0ments\"}\n", 5, 18,
     "service.labels.team: the value holds U+0000 (NUL); descriptor values are single-line text: remove the escape"},
    {"value_control_escape", kHead + "  command: [app, \"--x=\\x1b[31m\"]\n", 5, 18,
     "service.command[1]: the value holds U+001B; descriptor values are single-line text: remove the escape"},
    {"value_line_separator", kHead + "  env: {A: \"a\\u2028b\"}\n", 5, 12,
     "service.env.A: the value holds U+2028; descriptor values are single-line text: remove the escape"},
    {"value_c1_control", kHead + "  tag: \"orders\\x85\"\n", 5, 8,
     "service.tag: the value holds U+0085; descriptor values are single-line text: remove the escape"},
    {"key_tab_escape", kHead + "  env: {\"A\\tB\": x}\n", 5, 9,
     "service.env: the key holds U+0009 (tab); descriptor values are single-line text: remove the escape"},
    {"env_a_list", kHead + "  env: [A=1]\n", 5, 8, "service.env: expected a mapping, got a list"},
    {"port_not_a_port", kHead + "  ports: [\"5000/tcp\", \"http\"]\n", 5, 23,
     "service.ports[1]: \"http\" is not a port such as 5000/tcp (1 to 65535, tcp or udp)"},
    {"port_out_of_range", kHead + "  ports: [70000]\n", 5, 11,
     "service.ports[0]: \"70000\" is not a port such as 5000/tcp (1 to 65535, tcp or udp)"},
    {"port_twice", kHead + "  ports: [5000, 5000/tcp]\n", 5, 17, "service.ports[1]: 5000/tcp is listed twice"},
    {"stop_timeout_without_unit", kHead + "  stop_timeout: 30\n", 5, 17,
     "service.stop_timeout: \"30\" is not a duration (a number with ms, s or m, e.g. 30s)"},
    {"stop_timeout_hours", kHead + "  stop_timeout: 1h\n", 5, 17,
     "service.stop_timeout: \"1h\" is not a duration (a number with ms, s or m, e.g. 30s)"},
    {"stop_timeout_zero", kHead + "  stop_timeout: 0s\n", 5, 17, "service.stop_timeout: must be more than 0"},
    {"tag_invalid", kHead + "  tag: Orders:1\n", 5, 8,
     "service.tag: \"Orders:1\" is not a valid image NAME[:TAG] such as orders-api:1.4.2"},
    {"labels_a_list", kHead + "  labels: [a]\n", 5, 11, "service.labels: expected a mapping, got a list"},
    {"service_a_string", "apiVersion: xraybake/v1\nservice: orders\n", 2, 10, "service: expected a mapping, got a string"},
    {"xray_unknown_key", kHead + "xray:\n  verison: 3.x\n", 6, 3,
     "unknown key \"verison\" in xray (did you mean \"version\"?)"},
    {"xray_version", kHead + "xray:\n  version: latest\n", 6, 12,
     "xray.version: \"latest\" is not 3.x or an exact version such as 3.6.6"},
    {"xray_region", kHead + "xray:\n  bucket_region: US-East-2\n", 6, 18,
     "xray.bucket_region: \"US-East-2\" is not an AWS region such as us-east-2"},
    {"xray_url_scheme", kHead + "xray:\n  url: ftp://mirror/x.deb\n", 6, 8,
     "xray.url: \"ftp://mirror/x.deb\" must start with https://, http:// or file://"},
    {"xray_url_placeholder", kHead + "xray:\n  url: https://mirror/{arc}/x.deb\n", 6, 8,
     "xray.url: unknown placeholder {arc} (did you mean {arch}?)"},
    {"sha256_short", kHead + "xray:\n  sha256:\n    amd64: abc123\n", 7, 12,
     "xray.sha256.amd64: \"abc123\" is not a sha256 (64 hex digits, as sha256sum prints)"},
    {"sha256_unknown_arch", kHead + "xray:\n  sha256:\n    x86_64: abc\n", 7, 5,
     "unknown key \"x86_64\" in xray.sha256 (expected one of: amd64, arm64)"},
    {"config_unknown_key", kHead + "xray:\n  config:\n    Regoin: us-east-1\n", 7, 5,
     "unknown key \"Regoin\" in xray.config (did you mean \"Region\"?)"},
    {"config_nested_key_at_top", kHead + "xray:\n  config:\n    LogLevel: debug\n", 7, 5,
     "unknown key \"LogLevel\" in xray.config: it belongs under Logging"},
    {"config_bool_quoted", kHead + "xray:\n  config: {LocalMode: \"true\"}\n", 6, 23,
     "xray.config.LocalMode: expected true or false, got \"true\""},
    {"config_int_with_unit", kHead + "xray:\n  config: {TotalBufferSizeMB: 16MB}\n", 6, 31,
     "xray.config.TotalBufferSizeMB: expected an integer, got \"16MB\""},
    {"config_buffer_zero", kHead + "xray:\n  config: {TotalBufferSizeMB: 0}\n", 6, 31,
     "xray.config.TotalBufferSizeMB: 0 means 1% of the host's memory, not the container's; set the MB to use, e.g. 16"},
    {"config_concurrency_zero", kHead + "xray:\n  config: {Concurrency: 0}\n", 6, 25,
     "xray.config.Concurrency: must be at least 1, got 0"},
    {"config_version_1", kHead + "xray:\n  config:\n    Version: 1\n", 7, 14, "xray.config.Version: must be 2, got 1"},
    {"config_socket_address", kHead + "xray:\n  config:\n    Socket:\n      UDPAddress: \"2000\"\n", 8, 19,
     "xray.config.Socket.UDPAddress: \"2000\" is not IP:PORT, e.g. 127.0.0.1:2000"},
    {"config_socket_typo", kHead + "xray:\n  config:\n    Socket:\n      UdpAddress: 127.0.0.1:2000\n", 8, 7,
     "unknown key \"UdpAddress\" in xray.config.Socket (did you mean \"UDPAddress\"?)"},
    {"config_socket_a_string", kHead + "xray:\n  config:\n    Socket: 127.0.0.1:2000\n", 7, 13,
     "xray.config.Socket: expected a mapping, got a string"},
    {"config_log_level", kHead + "xray:\n  config:\n    Logging: {LogLevel: verbose}\n", 7, 25,
     "xray.config.Logging.LogLevel: \"verbose\" is not one of dev, debug, info, warn, error, prod"},
    {"args_config_flag", kHead + "xray:\n  args: [--log-level, warn, -c, /tmp/x.yaml]\n", 6, 29,
     "xray.args[2]: \"-c\" is set by xraybake (the daemon reads the cfg.yaml made from xray.config); remove it"},
    {"config_socket_hostname", kHead + "xray:\n  config: {Socket: {TCPAddress: \"xray.local:2000\"}}\n", 6, 33,
     "xray.config.Socket.TCPAddress: \"xray.local:2000\" is not IP:PORT, e.g. 127.0.0.1:2000"},
    {"args_with_hash", kHead + "xray:\n  args: [\"--proxy-address=http://p#1\"]\n", 6, 10,
     "xray.args[0]: must not contain # or a newline, nor start or end with a space (the supervisor's config file can "
     "not carry them)"},
    {"config_socket_localhost", kHead + "xray:\n  config: {Socket: {UDPAddress: \"localhost:2000\"}}\n", 6, 33,
     "xray.config.Socket.UDPAddress: \"localhost:2000\" names localhost: an image without /etc/hosts can not resolve "
     "it and the daemon exits at start; write 127.0.0.1:2000"},
    {"config_socket_ipv6", kHead + "xray:\n  config: {Socket: {UDPAddress: \"[::1]:2000\"}}\n", 6, 33,
     "xray.config.Socket.UDPAddress: \"[::1]:2000\" is an IPv6 address: the app's X-Ray SDK gets it in "
     "AWS_XRAY_DAEMON_ADDRESS and the Node SDK can not parse one; use 127.0.0.1:PORT (or [::]:PORT to bind every "
     "address, the app then uses 127.0.0.1)"},
    {"config_log_path", kHead + "xray:\n  config: {Logging: {LogPath: /var/log/x.log}}\n", 6, 31,
     "xray.config.Logging.LogPath: \"/var/log/x.log\" is not used: set xray.log (stdout, or a file path) instead; "
     "xraybake makes its directory and gives it to the service user"},
    {"log_in_tmp", kHead + "xray:\n  log: /tmp/xray.log\n", 6, 8,
     "xray.log: \"/tmp/xray.log\" would give /tmp to the service user (its directory becomes theirs): put the log in a "
     "directory of its own, e.g. /var/log/xray/xray.log"},
    {"log_in_root", kHead + "xray:\n  log: /xray.log\n", 6, 8,
     "xray.log: \"/xray.log\" would give / to the service user (its directory becomes theirs): put the log in a "
     "directory of its own, e.g. /var/log/xray/xray.log"},
    {"log_in_etc", kHead + "xray:\n  log: /etc//xray.log\n", 6, 8,
     "xray.log: \"/etc//xray.log\" would give /etc to the service user (its directory becomes theirs): put the log in "
     "a directory of its own, e.g. /var/log/xray/xray.log"},
    {"log_in_var_log", kHead + "xray:\n  log: /var/log/xray.log\n", 6, 8,
     "xray.log: \"/var/log/xray.log\" would give /var/log to the service user (its directory becomes theirs): put the "
     "log in a directory of its own, e.g. /var/log/xray/xray.log"},
    {"log_dot_dot", kHead + "xray:\n  log: /var/log/xray/../../x.log\n", 6, 8,
     "xray.log: \"/var/log/xray/../../x.log\" would give /var to the service user (its directory becomes theirs): "
     "put the log in a directory of its own, e.g. /var/log/xray/xray.log"},
    {"log_relative", kHead + "xray:\n  log: logs/xray.log\n", 6, 8,
     "xray.log: \"logs/xray.log\" must be stdout or the absolute path of a file in the image, e.g. "
     "/var/log/xray/xray.log"},
    {"flush_grace_too_long", kHead + "  stop_timeout: 10s\nxray:\n  flush_grace: 9500ms\n", 7, 16,
     "xray.flush_grace (9500ms) does not fit in service.stop_timeout (10s) with 1s left for the app to stop: "
     "500ms too long; lower flush_grace to 9s or raise stop_timeout to 10500ms"},
    {"stop_timeout_too_short_for_default_grace", kHead + "  stop_timeout: 3s\n", 5, 17,
     "xray.flush_grace (5s) does not fit in service.stop_timeout (3s) with 1s left for the app to stop: 3s too long; "
     "lower flush_grace to 2s or raise stop_timeout to 6s"},
    {"ready_timeout_bad", kHead + "xray:\n  ready_timeout: soon\n", 6, 18,
     "xray.ready_timeout: \"soon\" is not a duration (a number with ms, s or m, e.g. 30s)"},
    {"restart_typo", kHead + "xray:\n  restart: {max_backof: 10s}\n", 6, 13,
     "unknown key \"max_backof\" in xray.restart (did you mean \"max_backoff\"?)"},
    {"restart_zero", kHead + "xray:\n  restart: {max_backoff: 0ms}\n", 6, 26, "xray.restart.max_backoff: must be more than 0"},
    {"signing_key_missing", kHead + "xray:\n  signing_key: keys/none.asc\n", 6, 16,
     "xray.signing_key: \"keys/none.asc\" is not a file (/nonexistent/keys/none.asc); give the path of the signer's "
     "public key, relative to the descriptor"},
    // ecs: (ecs_section.cpp)
    {"ecs_unknown_key", kHead + "ecs:\n  famly: orders\n  logs: {region: us-east-2}\n", 6, 3,
     "unknown key \"famly\" in ecs (did you mean \"family\"?)"},
    {"ecs_fargate_memory", kHead + "ecs:\n  cpu: 512\n  memory: 512\n  logs: {region: us-east-2}\n", 7, 11,
     "ecs.memory: Fargate runs 512 CPU units with 1024 to 4096 MiB in steps of 1024 MiB, not 512"},
    {"ecs_fargate_cpu", kHead + "ecs:\n  cpu: 300\n  logs: {region: us-east-2}\n", 6, 8,
     "ecs.cpu: Fargate takes 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units, not 300 (launch_type: EC2 takes any)"},
    {"ecs_no_region", kHead + "ecs:\n  family: orders\n", 5, 1,
     "ecs: the awslogs log configuration needs a region: set ecs.logs.region (or xray.config.Region)"},
    {"ecs_health_not_whole_seconds", kHead + "ecs:\n  logs: {region: us-east-2}\n  health_check: {interval: 1500ms}\n", 7, 28,
     "ecs.health_check.interval: 1500ms is not whole seconds (ECS counts seconds)"},
    {"ecs_role_not_an_arn", kHead + "ecs:\n  task_role_arn: orders\n  logs: {region: us-east-2}\n", 6, 18,
     "ecs.task_role_arn: \"orders\" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"},
};

class BrokenDescriptor : public testing::TestWithParam<Case> {};

TEST_P(BrokenDescriptor, ReportsExactlyOneProblemAtItsPosition) {
  const Case& c = GetParam();
  try {
    parse_descriptor(c.yaml, "/nonexistent/xraybake.yaml");
    FAIL() << "accepted:\n" << c.yaml;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    ASSERT_EQ(e.diagnostics().size(), 1u) << e.what();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, "/nonexistent/xraybake.yaml");
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.line, c.line) << d.message;
    EXPECT_EQ(d.column, c.column) << d.message;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenDescriptor, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(BrokenDescriptor, TheTableIsBigEnough) { EXPECT_GE(std::size(kCases), 30u); }

TEST(BrokenDescriptor, ReportsEveryProblemAtOnceInFileOrder) {
  std::string yaml = kHead +
                     "  user: root\n"           // 5
                     "  stop_timeout: forever\n"  // 6
                     "xray:\n"                    // 7
                     "  config: {Bogus: 1}\n"     // 8
                     "  log: relative\n";         // 9
  try {
    parse_descriptor(yaml, "x.yaml");
    FAIL();
  } catch (const Error& e) {
    ASSERT_EQ(e.diagnostics().size(), 4u) << e.what();
    std::vector<int> lines;
    for (const auto& d : e.diagnostics()) lines.push_back(d.line);
    EXPECT_EQ(lines, (std::vector<int>{5, 6, 8, 9}));
    EXPECT_EQ(e.diagnostics()[0].str(), "x.yaml:5:9: service.user: \"root\" is not a numeric uid:gid such as \"10001:10001\"");
  }
}

TEST(BrokenDescriptor, ABadDurationDoesNotAlsoFailTheStopBudget) {
  // stop_timeout is not a duration: only that is reported, not a budget computed from its default.
  try {
    parse_descriptor(kHead + "  stop_timeout: 3\nxray:\n  flush_grace: 40s\n", "x.yaml");
    FAIL();
  } catch (const Error& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u) << e.what();
    EXPECT_EQ(e.diagnostics()[0].line, 5);
  }
}

TEST(BrokenDescriptor, MissingFileIsBadInputWithAHint) {
  try {
    load_descriptor("/nonexistent/xraybake.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(e.hint().find("xraybake init"), std::string::npos);
  }
}

}  // namespace
}  // namespace xb
