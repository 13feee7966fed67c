// The service descriptor (xraybake.yaml), as design.md defines it: a plain
// struct with every default filled in. Parsing reports every error of a file
// at once, as xb::Error with FILE:LINE:COL diagnostics (exit 2).
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "oci/compression.h"
#include "util/error.h"

namespace xb {

using Millis = std::chrono::milliseconds;

inline constexpr std::string_view kDefaultDaemonUrl =
    "https://s3.dualstack.{region}.amazonaws.com/aws-xray-assets.{region}/xray-daemon/"
    "aws-xray-daemon-linux-{arch}-{version}.deb";

// One service.files entry (design.md "App files"), checked: `source` exists,
// inside the descriptor's directory.
struct AppFile {
  std::string from;                 // as written, relative to the descriptor's directory
  std::string source;               // absolute, symbolic links resolved; inside the descriptor's directory
  bool directory = false;           // source is a directory: its contents go under `to`
  std::string to;                   // absolute and clean, in the image ("/app"); for a file, its own path
  std::optional<uint32_t> mode;     // files' mode (0 to 0777); none: 0755 if executable, else 0644
  int line = 0, column = 0;         // where the entry is written (1-based), for messages of the build
};

struct ServiceSpec {
  std::string name;                                        // [a-z0-9][a-z0-9._-]*
  std::string base;                                        // oci:DIR[:TAG] or a registry reference
  std::vector<std::string> platforms{"linux/amd64"};       // linux/amd64, linux/arm64
  std::vector<std::string> command;                        // empty: the base's Entrypoint + Cmd
  std::optional<std::string> workdir;                      // empty: the base's
  uint32_t uid = 10001;
  uint32_t gid = 10001;
  std::vector<std::pair<std::string, std::string>> env;    // in file order
  std::vector<std::string> ports;                          // "5000/tcp"
  Millis stop_timeout{30000};
  std::string tag;                                         // default "<name>:latest"
  std::map<std::string, std::string> labels;
  std::vector<AppFile> files;                              // service.files: layers/app.tar.gz when not empty
  std::vector<std::string> exclude;                        // service.exclude: exclude_globs.h patterns
  oci::Compression compression = oci::Compression::gzip;   // service.compression: the added layers' (gzip, zstd)
};

// What every agent kind has, whichever section it was written in: its
// package and how the supervisor runs it.
struct AgentBasics {
  std::string version;
  std::string url;                                         // {region} {arch} {version} placeholders
  std::map<std::string, std::string> sha256;               // arch ("amd64") -> 64 hex, optional pins
  std::optional<std::string> signing_key;                  // PATH of a public key: verify _gpgorigin
  std::vector<std::string> args;                           // extra agent flags
  std::string log = "stdout";                              // stdout, or a file path inside the image
  Millis flush_grace{5000};
  Millis ready_timeout{5000};
  Millis max_backoff{30000};                               // restart.max_backoff
};

// The xray: section, the X-Ray daemon's (also what agent.kind xray-daemon maps onto).
struct XraySpec : AgentBasics {
  XraySpec() {
    version = "3.x";
    url = std::string(kDefaultDaemonUrl);
  }
  std::string bucket_region = "us-east-2";
  nlohmann::ordered_json config = nlohmann::ordered_json::object();  // cfg.yaml keys (Version 2), validated
};

// The agent: section (design.md "Agents"). descriptor/ reads the keys every
// kind shares; the kind (generator/agents/) checks the rest, `config` first.
struct AgentSpec : AgentBasics {
  std::string kind;                                        // one of kAgentKinds
  std::string region;                                      // empty: AWS_REGION at run time
  std::string endpoint;                                    // X-Ray API endpoint override
  std::optional<bool> local_mode;
  std::string role_arn;
  std::string resource_arn;
  std::string proxy_address;
  std::optional<int> buffer_mb;
  // Each an address (host:port) or "off"; nullopt: the kind's default.
  struct Receivers {
    std::optional<std::string> xray, otlp_grpc, otlp_http;
  } receivers;
  // Where each key was written (for the kind's messages); undefined nodes when absent.
  YAML::Node node;        // the whole agent: mapping
  YAML::Node config;      // agent.config as written: the agent's own format
  YAML::Node config_key;
};

// The ecs: section (design.md "ECS"): what OUT/ecs-task-definition.json (the
// container definition) and OUT/ecs-register-task-definition.json (the
// RegisterTaskDefinition input around it) say besides what the service says.
struct EcsSpec {
  bool written = false;                 // an ecs: section is in the file
  std::string family;                   // default service.name
  std::string launch_type = "FARGATE";  // FARGATE (awsvpc, task cpu and memory) or EC2
  int cpu = 256;                        // task CPU units
  int memory = 512;                     // task memory, MiB
  std::string execution_role_arn;       // pulls the image and writes the logs; empty: none
  std::string task_role_arn;            // what the agent sends to X-Ray with; empty: none
  // awslogs: the container's stdout and stderr (the agent's and the app's).
  std::string log_group;                // default /ecs/<service.name>
  std::string log_region;               // default the agent's region; none known: no logConfiguration
  std::string log_stream_prefix;        // default service.name
  // The container's health check (xraybake-init --check: the agent's readiness, no shell).
  Millis health_interval{30000};
  Millis health_timeout{5000};
  Millis health_start_period{0};        // 0: the agent's ready_timeout, rounded up
  int health_retries = 3;
};

// The kinds design.md names; generator/agents/ says which are implemented.
inline const std::vector<std::string> kAgentKinds{"xray-daemon", "adot-collector", "cloudwatch-agent",
                                                  "otelcol-contrib"};

struct Descriptor {
  std::string path;        // the file it was read from, as given (for messages)
  std::string dir;         // its directory (absolute): relative paths in it resolve against this
  std::string api_version = "xraybake/v1";
  ServiceSpec service;
  // The X-Ray daemon's settings: from xray:, from agent: when agent.kind is
  // xray-daemon (filled by that kind), else unused.
  XraySpec xray;
  std::optional<AgentSpec> agent;  // the agent: section, as written
  EcsSpec ecs;                      // the ecs: section, defaults filled in
  YAML::Mark agent_mark;            // where the xray: or agent: key is (line 0 when neither is written)
  // Valid but likely wrong (e.g. a stop_timeout above Fargate's maximum);
  // validate and build print them, they never fail a build.
  std::vector<Diagnostic> warnings;
};

class Problems;
// What a layer above checks while the descriptor is read (generator/agents/:
// the agent kind's own keys), so that every problem is still reported at once.
using DescriptorCheck = std::function<void(Problems&, Descriptor&)>;

// Reads and validates PATH. Throws xb::Error(bad_input) with one Diagnostic
// per problem, all of them, or xb::Error(runtime) when the file can't be read.
// (agents::load_descriptor adds the agent kind's checks: use that one.)
Descriptor load_descriptor(const std::string& path, const DescriptorCheck& check = {});
// The same for text already in memory; `path` is used in messages.
Descriptor parse_descriptor(std::string_view yaml, const std::string& path, const DescriptorCheck& check = {});

// The agent's kind: agent.kind, or xray-daemon for an xray: section (or none).
std::string agent_kind(const Descriptor& desc);
// The section it was written in, for messages: "agent" or "xray".
std::string agent_section(const Descriptor& desc);
// The basics of whichever section was written.
const AgentBasics& agent_basics(const Descriptor& desc);

// "linux/arm64" -> "arm64".
std::string platform_arch(std::string_view platform);

// The app needs at least this long to stop: stop_timeout - flush_grace >= this.
inline constexpr Millis kMinAppStop{1000};
// Written into cfg.yaml when xray.config has no TotalBufferSizeMB (0 would mean
// 1% of the host's memory, not the container's).
inline constexpr int kDefaultBufferMB = 16;
inline constexpr std::string_view kDefaultDaemonAddress = "127.0.0.1:2000";
// Fargate refuses a larger stopTimeout.
inline constexpr Millis kFargateMaxStop{120000};

// "30s", "1500ms", "2m", "1m30s" (ms, s, m; decimals allowed: "1.5s"); nullopt if invalid.
std::optional<Millis> parse_duration(std::string_view text);
// The shortest exact form: 30000 -> "30s", 1500 -> "1500ms", 120000 -> "2m".
std::string format_duration(Millis d);

// The daemon's UDP and TCP bind addresses (xray.config Socket, else 127.0.0.1:2000).
std::string daemon_udp_address(const XraySpec& xray);
std::string daemon_tcp_address(const XraySpec& xray);
// What the app's SDK should use (AWS_XRAY_DAEMON_ADDRESS): the UDP address with a
// wildcard host replaced by 127.0.0.1, or "tcp:H:P udp:H:P" when TCP differs.
std::string sdk_daemon_address(const XraySpec& xray);

// service.base split up. oci:DIR[:TAG] has DIR resolved against the descriptor's directory.
struct BaseRef {
  bool oci_layout = false;  // oci:DIR[:TAG]
  std::string dir;          // oci: the layout directory, absolute
  std::string tag;          // oci: the tag, empty when not given
  std::string reference;    // registry: the reference as written
};
BaseRef parse_base(const Descriptor& desc);

// PATH as written in the descriptor, made absolute against its directory.
std::string resolve_path(const Descriptor& desc, std::string_view path);

// uid and gid as "10001:10001".
std::string user_string(const ServiceSpec& service);

}  // namespace xb
