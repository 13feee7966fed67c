// The xray: section.
#include <algorithm>
#include <filesystem>
#include <regex>

#include "descriptor/daemon_config.h"
#include "descriptor/sections.h"
#include "descriptor/suggest.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kXrayKeys{"version", "bucket_region", "url",         "sha256",        "config", "args",
                                         "log",     "flush_grace",   "ready_timeout", "restart", "signing_key"};

namespace {

const std::vector<std::string> kArchs{"amd64", "arm64"};

// Checks a string against RE; WHAT completes "... is not WHAT".
std::optional<std::string> read_matching(Problems& p, const Field& f, const std::regex& re, const std::string& what) {
  auto s = read_string(p, f);
  if (!s) return std::nullopt;
  if (std::regex_match(*s, re)) return s;
  p.add(f.mark(), f.path + ": " + f.quoted() + " is not " + what);
  return std::nullopt;
}

}  // namespace

void read_agent_url(Problems& p, const Field& f, AgentBasics& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (!s->starts_with("https://") && !s->starts_with("http://") && !s->starts_with("file://")) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " must start with https://, http:// or file://");
    return;
  }
  static const std::regex placeholder("\\{([^}]*)\\}");
  bool ok = true;
  for (std::sregex_iterator it(s->begin(), s->end(), placeholder), end; it != end; ++it) {
    std::string name = (*it)[1];
    if (name == "region" || name == "arch" || name == "version") continue;
    auto guess = nearest(name, {"region", "arch", "version"});
    p.add(f.mark(), f.path + ": unknown placeholder {" + name + "}" +
                        (guess ? " (did you mean {" + *guess + "}?)" : " (use {region}, {arch} and {version})"));
    ok = false;
  }
  if (ok) out.url = *s;
}

void read_agent_sha256(Problems& p, const Field& f, AgentBasics& out) {
  static const std::regex hex("[0-9a-fA-F]{64}");
  MapFields fields(p, f, kArchs);
  for (const auto& field : fields.all()) {
    if (auto s = read_matching(p, field, hex, "a sha256 (64 hex digits, as sha256sum prints)")) {
      std::string lower = *s;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.sha256[field.key.Scalar()] = lower;
    }
  }
}

// Values travel in init.conf lines, where "#" starts a comment and outer
// spaces are trimmed.
const std::string kInitConfLimits =
    "must not contain # or a newline, nor start or end with a space (the supervisor's config file can not carry them)";

static bool init_conf_safe(const std::string& s) {
  return s.find_first_of("#\n\r") == std::string::npos &&
         (s.empty() || (!std::isspace(static_cast<unsigned char>(s.front())) &&
                        !std::isspace(static_cast<unsigned char>(s.back()))));
}

static void read_agent_args(Problems& p, const Field& f, AgentBasics& out) {
  auto args = read_string_list(p, f, "[--log-level, debug]");
  if (!args) return;
  bool ok = true;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    std::string path = f.path + "[" + std::to_string(i) + "]";
    static const std::regex config_flag("--?(c|config)(=.*)?");
    if (std::regex_match(a, config_flag)) {
      p.add(f.value[i].Mark(), path + ": \"" + a + "\" is set by xraybake (" +
                                   (f.path.starts_with("xray") ? "the daemon reads the cfg.yaml made from xray.config"
                                                               : "the agent reads the config xraybake generates") +
                                   "); remove it");
      ok = false;
    } else if (!init_conf_safe(a)) {
      p.add(f.value[i].Mark(), path + ": " + kInitConfLimits);
      ok = false;
    }
  }
  if (ok) out.args = *args;
}

// Directories of the image that belong to the system: the log's directory is
// given to the service user, so it must be one of its own, never these.
static bool system_directory(const std::filesystem::path& dir) {
  static const std::vector<std::string> kSystem{
      "/",          "/bin",      "/boot",       "/dev",         "/etc",          "/home",          "/lib",
      "/lib32",     "/lib64",    "/libx32",     "/media",       "/mnt",          "/opt",           "/proc",
      "/root",      "/run",      "/sbin",       "/srv",         "/sys",          "/tmp",           "/usr",
      "/usr/bin",   "/usr/lib",  "/usr/lib64",  "/usr/libexec", "/usr/include",  "/usr/sbin",      "/usr/share",
      "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin", "/usr/local/share", "/var",
      "/var/cache", "/var/lib",  "/var/local",  "/var/lock",    "/var/log",      "/var/mail",      "/var/opt",
      "/var/run",   "/var/spool", "/var/tmp",   "/etc/amazon",  "/etc/amazon/xray", "/etc/xraybake"};
  const std::string d = dir.string();
  if (std::find(kSystem.begin(), kSystem.end(), d) != kSystem.end()) return true;
  for (const char* virt : {"/proc/", "/sys/", "/dev/", "/run/"})
    if (d.starts_with(virt)) return true;
  return false;
}

static void read_agent_log(Problems& p, const Field& f, AgentBasics& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (!init_conf_safe(*s)) {
    p.add(f.mark(), f.path + ": " + kInitConfLimits);
    return;
  }
  if (*s != "stdout" && !(s->starts_with("/") && s->size() > 1 && s->back() != '/')) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " must be stdout or the absolute path of a file in the image, e.g. /var/log/xray/xray.log");
    return;
  }
  if (*s != "stdout") {
    auto dir = std::filesystem::path(*s).lexically_normal().parent_path();
    if (system_directory(dir) || s->find("/../") != std::string::npos || s->ends_with("/..")) {
      p.add(f.mark(), f.path + ": " + f.quoted() + " would give " + dir.string() +
                          " to the service user (its directory becomes theirs): put the log in a directory of its "
                          "own, e.g. /var/log/xray/xray.log");
      return;
    }
  }
  out.log = *s;
}

static void read_agent_restart(Problems& p, const Field& f, AgentBasics& out) {
  MapFields fields(p, f, std::vector<std::string>{"max_backoff"});
  if (auto v = fields.get("max_backoff"))
    if (auto d = read_positive_duration(p, *v)) out.max_backoff = *d;
}

void read_agent_signing_key(Problems& p, const Field& f, const Descriptor& desc, AgentBasics& out) {
  auto s = read_string(p, f);
  if (!s) return;
  std::string path = resolve_path(desc, *s);
  std::error_code ec;
  if (s->empty() || !std::filesystem::is_regular_file(path, ec))
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not a file (" + path + "); give the path of the signer's public key, relative to the descriptor");
  else
    out.signing_key = path;
}

void read_agent_run_keys(Problems& p, const MapFields& fields, AgentBasics& out) {
  if (auto v = fields.get("args")) read_agent_args(p, *v, out);
  if (auto v = fields.get("log")) read_agent_log(p, *v, out);
  if (auto v = fields.get("flush_grace"))
    if (auto d = read_duration(p, *v)) out.flush_grace = *d;
  if (auto v = fields.get("ready_timeout"))
    if (auto d = read_duration(p, *v)) out.ready_timeout = *d;
  if (auto v = fields.get("restart")) read_agent_restart(p, *v, out);
}

void read_xray(Problems& p, const Field& f, const Descriptor& desc, XraySpec& out) {
  MapFields fields(p, f, kXrayKeys);
  if (!fields.ok()) return;
  if (auto v = fields.get("version")) {
    static const std::regex re("3\\.x|[0-9]+\\.[0-9]+\\.[0-9]+");
    if (auto s = read_matching(p, *v, re, "3.x or an exact version such as 3.6.6")) out.version = *s;
  }
  if (auto v = fields.get("bucket_region")) {
    static const std::regex re("[a-z]{2}(-[a-z]+)+-[0-9]+");
    if (auto s = read_matching(p, *v, re, "an AWS region such as us-east-2")) out.bucket_region = *s;
  }
  if (auto v = fields.get("url")) read_agent_url(p, *v, out);
  if (auto v = fields.get("sha256")) read_agent_sha256(p, *v, out);
  if (auto v = fields.get("config")) out.config = read_daemon_config(p, *v);
  else out.config = read_daemon_config(p, Field{"xray.config", YAML::Node(), YAML::Node()});
  read_agent_run_keys(p, fields, out);
  if (auto v = fields.get("signing_key")) read_agent_signing_key(p, *v, desc, out);
}

}  // namespace xb
