// Getting the agent's .deb for every platform of a descriptor: download
// (libcurl), check it is the package asked for, verify (sha256 pin from the
// descriptor or xraybake.lock), cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agents/agent.h"
#include "descriptor/descriptor.h"
#include "fetch/lockfile.h"

namespace xb {

// What the fetched file must be: a Debian package of this name holding this
// file in its data member. A file that is not (an HTML error page a mirror
// served with 200, another package) is refused before it is pinned or cached.
struct ExpectedPackage {
  std::string name;    // control `Package:`, "xray" for the X-Ray daemon
  std::string binary;  // path in data.tar without "./": "usr/bin/xray"
};

// What AGENT's .deb must be: its package_name() holding its binary (the first of layer_files()).
ExpectedPackage expected_package(const agents::Agent& agent);

struct FetchOptions {
  std::string cache_dir;
  bool offline = false;  // cache only
  bool locked = false;   // refuse a missing or different pin; never write xraybake.lock
  bool refresh = false;  // download again even when cached (still checked against the pin)
  std::string ca_bundle; // --ca-bundle; else XRAYBAKE_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE
  // Asked before downloading a .deb that is pinned, not in the cache, and
  // whose xraybake.lock entry records the agent layer made from it, with its
  // files and the package's facts (ENTRY): the repository ("host/name") that
  // holds that layer, so the build needs no .deb; nullopt: download it. Not
  // asked with --refresh or --offline.
  using WithoutDeb = std::function<std::optional<std::string>(const std::string& arch, const LockEntry& entry)>;
  WithoutDeb without_deb;
  // Asked first, in a fleet's build (cli/build_fleet.h), for each pinned
  // .deb: what another build of the fleet made of the .deb with that sha256
  // for ARCH (its agent layer, with the files and the package's facts, kept
  // in the fleet's own store, build/fleet_store.h), so that this build needs
  // no .deb and hashes none; nullopt: fetch it. Not asked with --refresh.
  struct FromFleet {
    std::string version;  // the package's
    uint64_t size = 0;    // the .deb's
    LayerPin layer;
    PackageFacts package;
  };
  using FleetLookup = std::function<std::optional<FromFleet>(const std::string& arch, const std::string& sha256)>;
  FleetLookup from_fleet;
};

struct FetchedDeb {
  std::string arch;                 // "amd64"
  std::string url;                  // the expanded URL it came from, redacted (fetch/url.h)
  std::string sha256;               // 64 hex, verified
  uint64_t size = 0;
  std::string version;              // the package's (control file), "3.6.6"
  std::filesystem::path path;       // the verified file in the cache (read-only)
  bool downloaded = false;          // false: it was already in the cache
  // The layer xraybake.lock says a verified build made from this .deb: a
  // cached layer is used only when it is this one. A build sets it to the
  // layer it made before calling record_layers().
  std::optional<LayerPin> layer;
  std::optional<PackageFacts> package;  // what xraybake.lock records of the .deb's control file
  // Non-empty: no .deb was fetched (PATH is empty): FetchOptions::without_deb
  // said this repository ("host/name") holds the agent layer LAYER pins.
  std::string remote_repository;
};

// One entry per platform, in the descriptor's order. Writes/updates
// xraybake.lock beside the descriptor when a pin was missing (never with
// --locked; see lockfile.h; the cache layout is in cache.h, network settings
// in net_settings.h). Errors (xb::Error): bad_input (2) for a digest or
// signature mismatch, a file that is not the expected package, a missing pin
// with --locked, a bad URL; runtime (1) for network failures, 404/403, and a
// cache miss with --offline.
std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const FetchOptions& options);
// The same for the .deb of AGENT (fetch_all takes agents::agent_for(desc)).
std::vector<FetchedDeb> fetch_all(const Descriptor& desc, const agents::Agent& agent, const FetchOptions& options);

// After a build: records each deb's `layer` and `package` in xraybake.lock for the archs
// whose lock entry pins that very .deb (an arch pinned only in the
// descriptor gets an entry). Nothing with --locked.
void record_layers(const Descriptor& desc, const FetchOptions& options, const std::vector<FetchedDeb>& debs);

}  // namespace xb
