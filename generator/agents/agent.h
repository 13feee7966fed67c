// The agent: the process that receives the app's traces inside the container
// and ships them to X-Ray (design.md "Agents", facts in agents.md). Everything
// that differs between kinds is behind this one interface; one file per kind
// (xray_daemon.cpp, adot_collector.cpp, otelcol_contrib.cpp, cloudwatch_agent.cpp) implements it and registry.cpp lists
// the kinds. Above descriptor/, below fetch/, render/ and build/.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descriptor/descriptor.h"
#include "descriptor/problems.h"

namespace xb::agents {

using Env = std::vector<std::pair<std::string, std::string>>;

// Where the kind's .deb comes from, with the keys to name in messages.
struct Package {
  std::string section;                        // "xray" or "agent": "<section>.sha256.amd64"
  std::string url;                            // template: {region} {arch} {version}
  std::string region;                         // what {region} becomes
  std::string version;
  std::map<std::string, std::string> sha256;  // arch -> pin
  std::optional<std::string> signing_key;     // absolute path
  std::string not_found_hint;                 // what to check when the server has no such file
  std::string noun;                           // "daemon": "the amd64 daemon .deb" in messages
  std::string mirror_env;                     // the variable whose URL replaces `url` (an internal mirror)
  // The release's checksums file beside the .deb (sha256sum lines), which
  // pins an unpinned .deb before it is downloaded; empty: none.
  std::string checksums_file = {};
  // The signature is detached, at the .deb's URL plus ".sig" (the CloudWatch
  // agent), not the .deb's embedded _gpgorigin member.
  bool detached_signature = false;
};

// One file of the .deb's data.tar that goes into the agent's layer.
struct LayerFile {
  std::string from;   // inside data.tar, without "./": "usr/bin/xray"
  std::string to;     // in the image, absolute: "/usr/bin/xray"
  uint32_t mode = 0755;
};

// A rendered config file: in the service layer at `path`, and for review in OUT.
struct ConfigFile {
  std::string path;      // in the image, absolute
  std::string out_path;  // relative to OUT: "cfg.yaml", "agent/config.yaml"
  std::string content;
};

class Agent {
 public:
  virtual ~Agent() = default;

  // "xray-daemon": agent.kind, and the layer's name (layers/<kind>-<arch>.tar.gz).
  virtual std::string_view kind() const = 0;
  // The .deb to fetch for DESC (URL template, pins, key).
  virtual Package package(const Descriptor& desc) const = 0;
  // What control's Package: must say.
  virtual std::string_view package_name() const = 0;
  // The release agents.md documents: what `migrate --to KIND` writes and
  // messages show ("0.49.0").
  virtual std::string_view example_version() const = 0;
  // The data files the layer holds (the first is the agent's ELF binary).
  virtual std::vector<LayerFile> layer_files() const = 0;

  // While the descriptor is read: checks what only this kind knows (its
  // config, which receivers it has) at FILE:LINE:COL, and fills what it derives.
  virtual void check(Problems& p, Descriptor& desc) const = 0;

  // The generated config, with agent.config merged over it.
  virtual std::vector<ConfigFile> config_files(const Descriptor& desc) const = 0;
  // Directories the agent writes to, owned by the service user.
  virtual std::vector<std::string> writable_dirs(const Descriptor& desc) const = 0;
  // The agent's command line: [0] is its binary in the image.
  virtual std::vector<std::string> argv(const Descriptor& desc) const = 0;
  // Where the supervisor sends the agent's output (daemon-log), or nothing: its own.
  virtual std::optional<std::string> supervisor_log(const Descriptor& desc) const = 0;
  // What the supervisor waits for before it starts the app: udp:H:P, tcp:H:P, http://H:P/PATH.
  virtual std::vector<std::string> ready_probes(const Descriptor& desc) const = 0;
  // The agent's own environment (on top of the image's).
  virtual Env agent_env(const Descriptor& desc) const = 0;
  // What the app needs to find the agent (first in the image's Env).
  virtual Env app_env(const Descriptor& desc) const = 0;
  // The least flush_grace in which the agent can flush what it holds (validate warns below it).
  virtual Millis min_flush_grace(const Descriptor& desc) const = 0;
  // The memory (MiB) the agent is held to inside the container (its baseline
  // plus agent.buffer_mb, what GOMEMLIMIT / memory_limiter / the buffer size
  // enforce): the ECS fragment's memoryReservation and the migration report.
  virtual int memory_mib(const Descriptor& desc) const = 0;
  // A warning for every descriptor of this kind (end of support), or nothing.
  virtual std::optional<std::string> support_notice(const Descriptor& desc) const = 0;

  // Files of the .deb's data (paths as in layer_files) that `build` checks the
  // rendered config against (the CloudWatch agent's JSON schema); none by default.
  virtual std::vector<std::string> package_checks() const { return {}; }
  // Checks DESC's config against FILES (each of package_checks(), by path) read
  // from the .deb at DEB_URL. Reports at FILE:LINE:COL through P.
  virtual void check_against_package(Problems& p, const Descriptor& desc,
                                     const std::map<std::string, std::string>& files,
                                     const std::string& deb_url) const {
    (void)p, (void)desc, (void)files, (void)deb_url;
  }
};

// The kind of DESC (agent.kind, or xray-daemon). Throws xb::Error(bad_input)
// for a kind that is not implemented (agents::load_descriptor refuses those first).
const Agent& agent_for(const Descriptor& desc);
// nullptr when KIND is not implemented.
const Agent* find_agent(std::string_view kind);
// The implemented kinds, in the registry's order.
std::vector<std::string> agent_kinds();

// xb::load_descriptor / parse_descriptor plus the agent kind's checks and its
// support notice: what the commands use.
Descriptor load_descriptor(const std::string& path);
Descriptor parse_descriptor(std::string_view yaml, const std::string& path);

// What to check when PKG's URL served something else: "check agent.url (or
// XRAYBAKE_ADOT_URL) and agent.sha256".
std::string source_hint(const Package& pkg);

}  // namespace xb::agents
