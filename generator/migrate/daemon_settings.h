// What becomes of each X-Ray daemon setting (xray-daemon.md) in an agent:
// section (design.md, "Agents"): renamed, kept as it is, dropped because it
// does not apply, or not translated because the agent has no key for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb::migrate {

enum class Fate {
  keep,            // the same key and value under agent:
  rename,          // another key, the same value
  drop,            // does not apply to the agent (a note says why)
  not_translated,  // the agent has no such key (a note names it and what is nearest)
  config,          // xray.config: translated key by key
  args,            // xray.args: translated flag by flag
  socket,          // xray.config.Socket: receivers.xray
};

struct Rule {
  Fate fate;
  std::string agent_key;  // rename: the agent's key
  std::string why;        // drop, not_translated: why, and what to do instead
};

// What the notes say about the agent migrated to (TO: agent.kind): its name,
// its .deb, how it is verified, and its nearest settings to the daemon's.
struct TargetWords {
  std::string_view kind;
  std::string_view name;         // "the ADOT collector"
  std::string_view bucket;       // why xray.bucket_region is dropped
  std::string_view deb;          // the file to mirror with agent.url
  std::string_view signing;      // what to do instead of the daemon's signing_key
  std::string_view concurrency;  // nearest to Concurrency
  std::string_view no_verify;    // nearest to NoVerifySSL
  std::string_view log_level;    // nearest to Logging.LogLevel and --log-level
  std::string_view log_file;     // where its log goes (Logging.LogPath, --log-file)
  std::string_view rotation;     // Logging.LogRotation
};
const TargetWords& target_words(std::string_view to);

// A key of xray:.
Rule xray_rule(std::string_view key, const TargetWords& to);
// A key of xray.config (cfg.yaml); NESTED is "Logging.LogLevel" style for keys under Logging.
Rule config_rule(std::string_view key, const TargetWords& to);

// The daemon's flags (xray.args; Go flags, so -n, --n, -region and --region
// are all the same), as far as an agent key carries them.
struct Flag {
  size_t index = 0;   // of the first arg of the flag in xray.args
  size_t count = 1;   // args it took (2 for "-n us-east-1")
  std::string text;   // as written: "--region us-east-1"
  std::string agent_key;  // "region", "local_mode", "buffer_mb", "receivers.xray", "tcp" (the TCP proxy); empty: not translated
  std::string value;      // the value for agent_key, as a YAML scalar's text
  std::string why;        // not translated: why
};
std::vector<Flag> read_daemon_flags(const std::vector<std::string>& args, const TargetWords& to);

}  // namespace xb::migrate
