// Flags shared by every subcommand (design.md, "Common flags"), and what
// --json prints on a failure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace xb::cli {

struct GlobalOptions {
  std::string cache_dir;      // resolved: --cache-dir, $XDG_CACHE_HOME/xraybake, ~/.cache/xraybake
  std::string templates_dir;  // --templates DIR: overrides the embedded templates
  std::string ca_bundle;      // --ca-bundle FILE: CAs for the daemon download and registries
  bool offline = false;       // --offline: cache only, never the network
  bool locked = false;        // --locked: refuse anything not matching xraybake.lock
  bool json = false;          // --json: machine-readable result on stdout
};

// A descriptor argument: a directory (or a path ending in /) means DIR/xraybake.yaml.
std::string descriptor_path(const std::string& arg);

// $XDG_CACHE_HOME/xraybake, else ~/.cache/xraybake.
std::string default_cache_dir();

// {"file", "line", "column", "message"}.
nlohmann::ordered_json diagnostic_json(const Diagnostic& d);
// What stderr shows of E: each diagnostic as FILE:LINE:COL: message, else
// "error: [CONTEXT: ]message"; then "hint: ..." when there is one. Lines end in '\n'.
std::string error_text(const Error& e, const std::string& context = "");
// {"error": {"message", "hint", "exit_code", "diagnostics": [...]}}: what --json
// prints on stdout when a command fails (besides the message on stderr).
nlohmann::ordered_json error_json(const Error& e);

// Thrown by a subcommand that has already printed its failure (stderr, and its
// --json document): main() only exits with CODE.
struct Reported {
  ExitCode code;
};

}  // namespace xb::cli
