#include "descriptor/daemon_config.h"

#include <functional>
#include <regex>

namespace xb {

namespace {

using Json = nlohmann::ordered_json;
// Reads one value; reports and returns nullopt when it is wrong.
using Reader = std::function<std::optional<Json>(Problems&, const Field&)>;

struct Key {
  std::string name;
  Reader read;
};

// Plain YAML 1.1 booleans, as the daemon's Go yaml.v2 reads them.
std::optional<bool> yaml_bool(const std::string& s) {
  static const std::vector<std::string> yes{"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::vector<std::string> no{"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  if (std::find(yes.begin(), yes.end(), s) != yes.end()) return true;
  if (std::find(no.begin(), no.end(), s) != no.end()) return false;
  return std::nullopt;
}

bool quoted(const Field& f) { return f.value.Tag() == "!"; }

Reader boolean() {
  return [](Problems& p, const Field& f) -> std::optional<Json> {
    auto b = f.value.IsScalar() && !quoted(f) ? yaml_bool(f.value.Scalar()) : std::nullopt;
    if (!b) p.add(f.mark(), f.path + ": expected true or false, got " + (f.value.IsScalar() ? f.quoted() : kind_of(f.value)));
    return b ? std::optional<Json>(*b) : std::nullopt;
  };
}

// An integer at least MIN; TOO_SMALL says why a smaller one is wrong.
Reader integer(int64_t min, std::function<std::string(int64_t)> too_small) {
  return [=](Problems& p, const Field& f) -> std::optional<Json> {
    static const std::regex re("[-+]?[0-9]{1,15}");
    if (!f.value.IsScalar() || quoted(f) || !std::regex_match(f.value.Scalar(), re)) {
      p.add(f.mark(), f.path + ": expected an integer, got " + (f.value.IsScalar() ? f.quoted() : kind_of(f.value)));
      return std::nullopt;
    }
    int64_t v = std::stoll(f.value.Scalar());
    if (v < min) {
      p.add(f.mark(), f.path + ": " + too_small(v));
      return std::nullopt;
    }
    return Json(v);
  };
}

// A string; CHECK returns an error text for a bad one (empty when fine).
Reader string(std::function<std::string(const std::string&)> check = nullptr) {
  return [=](Problems& p, const Field& f) -> std::optional<Json> {
    auto s = read_string(p, f);
    if (!s) return std::nullopt;
    if (check) {
      if (auto why = check(*s); !why.empty()) {
        p.add(f.mark(), f.path + ": " + f.quoted() + " " + why);
        return std::nullopt;
      }
    }
    return Json(*s);
  };
}

std::string host_port(const std::string& s) {
  // IP literals only: the supervisor watches for the bound socket by address.
  if (s.starts_with("localhost:"))
    return "names localhost: an image without /etc/hosts can not resolve it and the daemon exits at start; write "
           "127.0.0.1" + s.substr(9);
  if (s.starts_with("[") && !s.starts_with("[::]:"))
    return "is an IPv6 address: the app's X-Ray SDK gets it in AWS_XRAY_DAEMON_ADDRESS and the Node SDK can not "
           "parse one; use 127.0.0.1:PORT (or [::]:PORT to bind every address, the app then uses 127.0.0.1)";
  static const std::regex re("(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3}|\\[::\\]|):([0-9]{1,5})");
  std::smatch m;
  if (!std::regex_match(s, m, re) || std::stoi(m[1]) < 1 || std::stoi(m[1]) > 65535)
    return "is not IP:PORT, e.g. 127.0.0.1:2000";
  return "";
}

// LogPath overrides xray.log, and its directory is neither made nor given to
// the service user: the daemon can not write there.
std::string no_log_path(const std::string&) {
  return "is not used: set xray.log (stdout, or a file path) instead; xraybake makes its directory and gives it to "
         "the service user";
}

std::string log_level(const std::string& s) {
  for (auto l : {"dev", "debug", "info", "warn", "error", "prod"})
    if (s == l) return "";
  return "is not one of dev, debug, info, warn, error, prod";
}

Json read_map(Problems& p, const Field& f, const std::vector<Key>& keys, const std::string& what);

Reader mapping(std::vector<Key> keys) {
  return [keys](Problems& p, const Field& f) -> std::optional<Json> { return read_map(p, f, keys, ""); };
}

const std::vector<Key>& socket_keys() {
  static const std::vector<Key> keys{{"UDPAddress", string(host_port)}, {"TCPAddress", string(host_port)}};
  return keys;
}

const std::vector<Key>& logging_keys() {
  static const std::vector<Key> keys{
      {"LogRotation", boolean()}, {"LogLevel", string(log_level)}, {"LogPath", string(no_log_path)}};
  return keys;
}

const std::vector<Key>& top_keys() {
  static const std::vector<Key> keys{
      {"TotalBufferSizeMB", integer(3,
                                    [](int64_t v) {
                                      if (v == 0)
                                        return std::string(
                                            "0 means 1% of the host's memory, not the container's; set the MB to use, "
                                            "e.g. 16");
                                      return std::string("must be at least 3 (MB), got ") + std::to_string(v);
                                    })},
      {"Concurrency", integer(1, [](int64_t v) { return "must be at least 1, got " + std::to_string(v); })},
      {"Region", string()},
      {"Endpoint", string()},
      {"Socket", mapping(socket_keys())},
      {"Logging", mapping(logging_keys())},
      {"LocalMode", boolean()},
      {"ResourceARN", string()},
      {"RoleARN", string()},
      {"NoVerifySSL", boolean()},
      {"ProxyAddress", string()},
      {"Version", integer(2, [](int64_t v) { return "must be 2, got " + std::to_string(v); })},
  };
  return keys;
}

// A key of a nested mapping written at the top ("LogLevel"): say where it goes.
std::string nested_home(const std::string& name) {
  for (const auto& k : socket_keys())
    if (k.name == name) return "Socket";
  for (const auto& k : logging_keys())
    if (k.name == name) return "Logging";
  return "";
}

Json read_map(Problems& p, const Field& f, const std::vector<Key>& keys, const std::string& what) {
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.name);
  std::optional<std::vector<std::string>> known = names;
  if (what == "top") {
    // Misplaced nested keys get their own message, not a "did you mean".
    known = std::nullopt;
  }
  MapFields fields(p, f, known);
  Json out = Json::object();
  for (const auto& field : fields.all()) {
    const std::string& name = field.key.Scalar();
    auto key = std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == name; });
    if (key == keys.end()) {
      if (auto home = nested_home(name); !home.empty()) {
        p.add(field.key.Mark(), "unknown key \"" + name + "\" in " + f.path + ": it belongs under " + home);
      } else {
        p.add(field.key.Mark(), unknown_key_message(name, f.path, names));
      }
      continue;
    }
    if (auto v = key->read(p, field)) out[name] = *v;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json read_daemon_config(Problems& p, const Field& f) {
  Json config = read_map(p, f, top_keys(), "top");
  if (!config.contains("TotalBufferSizeMB")) config["TotalBufferSizeMB"] = kDefaultBufferMB;
  if (!config.contains("Version")) config["Version"] = 2;
  return config;
}

}  // namespace xb
