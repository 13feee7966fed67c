// Flags shared by every subcommand (design.md, "Common flags").
#pragma once

#include <string>

namespace xb::cli {

struct GlobalOptions {
  std::string cache_dir;      // resolved: --cache-dir, $XDG_CACHE_HOME/xraybake, ~/.cache/xraybake
  std::string templates_dir;  // --templates DIR: overrides the embedded templates
  std::string ca_bundle;      // --ca-bundle FILE: CAs for the daemon download and registries
  bool offline = false;       // --offline: cache only, never the network
  bool locked = false;        // --locked: refuse anything not matching xraybake.lock
  bool json = false;          // --json: machine-readable result on stdout
};

// $XDG_CACHE_HOME/xraybake, else ~/.cache/xraybake.
std::string default_cache_dir();

}  // namespace xb::cli
