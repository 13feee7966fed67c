#include "oci/image_config.h"

#include <ctime>

namespace xb::oci {

static std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

std::vector<std::string> base_command(const nlohmann::json& config) {
  auto c = config.value("config", nlohmann::json::object());
  auto cmd = strings(c.value("Entrypoint", nlohmann::json()));
  auto rest = strings(c.value("Cmd", nlohmann::json()));
  cmd.insert(cmd.end(), rest.begin(), rest.end());
  return cmd;
}

nlohmann::json updated_config(nlohmann::json base, const ConfigChanges& changes,
                              const std::vector<HistoryLayer>& layers, const std::string& created) {
  auto& c = base["config"];
  if (!c.is_object()) c = nlohmann::json::object();
  std::vector<std::string> cmd = changes.cmd ? *changes.cmd : base_command(base);
  c["Entrypoint"] = changes.entrypoint;
  if (cmd.empty()) c.erase("Cmd");
  else c["Cmd"] = cmd;
  c["User"] = changes.user;
  if (changes.workdir) c["WorkingDir"] = *changes.workdir;
  if (changes.stop_signal) c["StopSignal"] = *changes.stop_signal;

  // Env: a variable the service sets replaces the base's, keeping its place.
  auto env = strings(c.value("Env", nlohmann::json()));
  for (const auto& [key, value] : changes.env) {
    std::string line = key + "=" + value;
    bool replaced = false;
    for (auto& e : env)
      if (e.compare(0, key.size() + 1, key + "=") == 0) {
        e = line;
        replaced = true;
      }
    if (!replaced) env.push_back(line);
  }
  c["Env"] = env;

  if (!changes.ports.empty()) {
    auto& ports = c["ExposedPorts"];
    if (!ports.is_object()) ports = nlohmann::json::object();
    for (const auto& p : changes.ports) ports[p.find('/') == std::string::npos ? p + "/tcp" : p] = nlohmann::json::object();
  }
  if (!changes.labels.empty()) {
    auto& labels = c["Labels"];
    if (!labels.is_object()) labels = nlohmann::json::object();
    for (const auto& [k, v] : changes.labels) labels[k] = v;
  }

  base["created"] = created;
  auto& rootfs = base["rootfs"];
  if (!rootfs.is_object()) rootfs = nlohmann::json::object();
  rootfs["type"] = "layers";
  if (!rootfs["diff_ids"].is_array()) rootfs["diff_ids"] = nlohmann::json::array();
  if (!base["history"].is_array()) base["history"] = nlohmann::json::array();
  for (const auto& l : layers) {
    rootfs["diff_ids"].push_back(l.diff_id);
    base["history"].push_back({{"created", created}, {"created_by", l.created_by}, {"comment", "xraybake"}});
  }
  return base;
}

std::string rfc3339(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace xb::oci
