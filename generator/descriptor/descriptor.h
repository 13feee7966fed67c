// The service descriptor (xraybake.yaml), as design.md defines it: a plain
// struct with every default filled in. Parsing reports every error of a file
// at once, as xb::Error with FILE:LINE:COL diagnostics (exit 2).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace xb {

using Millis = std::chrono::milliseconds;

inline constexpr std::string_view kDefaultDaemonUrl =
    "https://s3.dualstack.{region}.amazonaws.com/aws-xray-assets.{region}/xray-daemon/"
    "aws-xray-daemon-linux-{arch}-{version}.deb";

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
};

struct XraySpec {
  std::string version = "3.x";
  std::string bucket_region = "us-east-2";
  std::string url{kDefaultDaemonUrl};                      // {region} {arch} {version} placeholders
  std::map<std::string, std::string> sha256;               // arch ("amd64") -> 64 hex, optional pins
  nlohmann::ordered_json config = nlohmann::ordered_json::object();  // cfg.yaml keys (Version 2), validated
  std::vector<std::string> args;                           // extra daemon flags
  std::string log = "stdout";                              // stdout, or a file path inside the image
  Millis flush_grace{5000};
  Millis ready_timeout{5000};
  Millis max_backoff{30000};                               // restart.max_backoff
  std::optional<std::string> signing_key;                  // PATH of a public key: verify _gpgorigin
};

struct Descriptor {
  std::string path;        // the file it was read from, as given (for messages)
  std::string dir;         // its directory (absolute): relative paths in it resolve against this
  std::string api_version = "xraybake/v1";
  ServiceSpec service;
  XraySpec xray;
  // Valid but likely wrong (e.g. a stop_timeout above Fargate's maximum);
  // validate and build print them, they never fail a build.
  std::vector<Diagnostic> warnings;
};

// Reads and validates PATH. Throws xb::Error(bad_input) with one Diagnostic
// per problem, all of them, or xb::Error(runtime) when the file can't be read.
Descriptor load_descriptor(const std::string& path);
// The same for text already in memory; `path` is used in messages.
Descriptor parse_descriptor(std::string_view yaml, const std::string& path);

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
