// The image config of the built image: the base's, with the supervisor as
// Entrypoint, the app as Cmd, the service's user, env, workdir, ports and
// labels, and one rootfs diff_id and history entry per added layer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace xb::oci {

struct ConfigChanges {
  std::vector<std::string> entrypoint;
  std::optional<std::vector<std::string>> cmd;           // nullopt: the base's Entrypoint + Cmd
  std::string user;                                      // "10001:10001"
  std::vector<std::pair<std::string, std::string>> env;  // set or replaced, in order
  std::optional<std::string> workdir;                    // nullopt: the base's
  std::vector<std::string> ports;                        // "5000/tcp" ("5000" means tcp)
  std::map<std::string, std::string> labels;             // added to the base's
  std::optional<std::string> stop_signal;                // nullopt: the base's
};

struct HistoryLayer {
  std::string diff_id;     // "sha256:..."
  std::string created_by;  // what made it, for `docker history`
};

// The base's Entrypoint followed by its Cmd (the app when service.command is empty).
std::vector<std::string> base_command(const nlohmann::json& config);

// BASE with CHANGES applied and LAYERS appended; CREATED (RFC 3339) dates the
// image and every new history entry.
nlohmann::json updated_config(nlohmann::json base, const ConfigChanges& changes,
                              const std::vector<HistoryLayer>& layers, const std::string& created);

// RFC 3339 in UTC ("1970-01-01T00:00:00Z") for seconds since the epoch.
std::string rfc3339(int64_t epoch);

}  // namespace xb::oci
