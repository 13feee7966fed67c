// The service: section.
#include <regex>

#include "descriptor/image_names.h"
#include "descriptor/sections.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kServiceKeys{"name",  "base",         "platforms", "command", "workdir", "user",
                                            "env",   "ports",        "stop_timeout", "tag", "labels",
                                            "files", "exclude", "compression"};

namespace {

const std::vector<std::string> kPlatforms{"linux/amd64", "linux/arm64"};

void read_platforms(Problems& p, const Field& f, ServiceSpec& out) {
  auto items = read_list(p, f, "[linux/amd64, linux/arm64]");
  if (!items) return;
  if (items->empty()) {
    p.add(f.mark(), f.path + ": at least one platform is needed (linux/amd64 or linux/arm64)");
    return;
  }
  out.platforms.clear();
  for (const auto& item : *items) {
    auto s = read_string(p, item);
    if (!s) continue;
    if (std::find(kPlatforms.begin(), kPlatforms.end(), *s) == kPlatforms.end())
      p.add(item.mark(), item.path + ": unknown platform " + item.quoted() + " (use linux/amd64 or linux/arm64)");
    else if (std::find(out.platforms.begin(), out.platforms.end(), *s) != out.platforms.end())
      p.add(item.mark(), item.path + ": " + item.quoted() + " is listed twice");
    else
      out.platforms.push_back(*s);
  }
}

void read_command(Problems& p, const Field& f, ServiceSpec& out) {
  auto cmd = read_string_list(p, f, "[dotnet, App.dll]");
  if (!cmd) return;
  if (!cmd->empty() && cmd->front().empty()) {
    p.add(f.value[0].Mark(), f.path + "[0]: the program to run must not be empty");
    return;
  }
  out.command = *cmd;
}

void read_workdir(Problems& p, const Field& f, ServiceSpec& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (!s->starts_with("/"))
    p.add(f.mark(), f.path + ": " + f.quoted() + " must be an absolute path, e.g. /app");
  else if (s->find_first_of(" \t\n\"'$\\") != std::string::npos)
    p.add(f.mark(), f.path + ": " + f.quoted() + " must not contain spaces, quotes, $ or \\ (a Dockerfile WORKDIR can not carry them)");
  else
    out.workdir = *s;
}

void read_user(Problems& p, const Field& f, ServiceSpec& out) {
  auto s = read_string(p, f);
  if (!s) return;
  static const std::regex re("([0-9]{1,10}):([0-9]{1,10})");
  std::smatch m;
  if (!std::regex_match(*s, m, re)) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not a numeric uid:gid such as \"10001:10001\"");
    return;
  }
  uint64_t uid = std::stoull(m[1]), gid = std::stoull(m[2]);
  if (uid > 4294967294ULL || gid > 4294967294ULL) {
    p.add(f.mark(), f.path + ": " + f.quoted() + " is out of range (uid and gid at most 4294967294)");
    return;
  }
  out.uid = static_cast<uint32_t>(uid);
  out.gid = static_cast<uint32_t>(gid);
}

// A mapping of names to scalar values, in file order.
std::vector<std::pair<Field, std::string>> read_string_map(Problems& p, const Field& f) {
  std::vector<std::pair<Field, std::string>> out;
  MapFields fields(p, f, std::nullopt);
  for (const auto& field : fields.all())
    if (auto v = read_string(p, field)) out.emplace_back(field, *v);
  return out;
}

void read_env(Problems& p, const Field& f, ServiceSpec& out) {
  static const std::regex name_re("[A-Za-z_][A-Za-z0-9_]*");
  for (const auto& [field, value] : read_string_map(p, f)) {
    const std::string& name = field.key.Scalar();
    if (!std::regex_match(name, name_re))
      p.add(field.key.Mark(), f.path + ": \"" + name + "\" is not a valid variable name (letters, digits and _, not starting with a digit)");
    else if (name == "AWS_XRAY_DAEMON_ADDRESS")
      p.add(field.key.Mark(), field.path + " is set by xraybake from xray.config.Socket.UDPAddress; set that instead");
    else if (value.find('\n') != std::string::npos)
      p.add(field.mark(), field.path + ": a newline can not be carried by a Dockerfile ENV; use an escape the app decodes");
    else
      out.env.emplace_back(name, value);
  }
}

void read_labels(Problems& p, const Field& f, ServiceSpec& out) {
  for (const auto& [field, value] : read_string_map(p, f)) {
    const std::string& name = field.key.Scalar();
    if (name.empty() || name.find_first_of(" \t\n\"=") != std::string::npos)
      p.add(field.key.Mark(), f.path + ": \"" + name + "\" is not a valid label key (no spaces, quotes or =)");
    else if (value.find('\n') != std::string::npos)
      p.add(field.mark(), field.path + ": a newline can not be carried by a Dockerfile LABEL");
    else
      out.labels[name] = value;
  }
}

void read_ports(Problems& p, const Field& f, ServiceSpec& out) {
  auto items = read_list(p, f, "[\"5000/tcp\"]");
  if (!items) return;
  static const std::regex re("([0-9]{1,5})(?:/(tcp|udp))?");
  for (const auto& item : *items) {
    auto s = read_string(p, item);
    if (!s) continue;
    std::smatch m;
    if (!std::regex_match(*s, m, re) || std::stoi(m[1]) < 1 || std::stoi(m[1]) > 65535) {
      p.add(item.mark(), item.path + ": " + item.quoted() + " is not a port such as 5000/tcp (1 to 65535, tcp or udp)");
      continue;
    }
    std::string port = std::to_string(std::stoi(m[1])) + "/" + (m[2].matched ? m[2].str() : "tcp");
    if (std::find(out.ports.begin(), out.ports.end(), port) != out.ports.end())
      p.add(item.mark(), item.path + ": " + port + " is listed twice");
    else
      out.ports.push_back(port);
  }
}

}  // namespace

void read_service(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out) {
  MapFields fields(p, f, kServiceKeys);
  if (!fields.ok()) return;
  if (auto name = fields.get("name")) {
    if (auto s = read_string(p, *name)) {
      if (valid_image_name(*s))
        out.name = *s;
      else
        p.add(name->mark(), name->path + ": " + name->quoted() +
                                " is not a valid image name (lowercase letters and digits, with . _ - only between "
                                "them, e.g. orders-api)");
    }
  } else {
    p.add(f.key.Mark(), "missing service.name (e.g. name: orders-api)");
  }
  if (auto base = fields.get("base")) {
    if (auto s = read_string(p, *base)) {
      if (s->starts_with("oci:")) {
        std::string dir = s->substr(4);
        if (dir.empty() || dir.front() == ':')
          p.add(base->mark(), base->path + ": " + base->quoted() + " has no directory (oci:DIR[:TAG])");
        else if (dir.find_first_of(" \t\n") != std::string::npos)
          p.add(base->mark(), base->path + ": " + base->quoted() + " must not contain spaces (it goes into FROM)");
        else
          out.base = *s;
      } else if (valid_image_reference(*s)) {
        out.base = *s;
      } else {
        p.add(base->mark(), base->path + ": " + base->quoted() +
                                " is neither oci:DIR[:TAG] nor an image reference such as "
                                "registry.example.com/team/app:1.0");
      }
    }
  } else {
    p.add(f.key.Mark(), "missing service.base (oci:DIR[:TAG], a local OCI layout, or a registry reference)");
  }
  if (auto v = fields.get("platforms")) read_platforms(p, *v, out);
  if (auto v = fields.get("command")) read_command(p, *v, out);
  if (auto v = fields.get("workdir")) read_workdir(p, *v, out);
  if (auto v = fields.get("user")) read_user(p, *v, out);
  if (auto v = fields.get("env")) read_env(p, *v, out);
  if (auto v = fields.get("ports")) read_ports(p, *v, out);
  if (auto v = fields.get("stop_timeout")) {
    if (auto d = read_positive_duration(p, *v)) {
      out.stop_timeout = *d;
      if (*d > kFargateMaxStop)
        p.warn(v->mark(), v->path + " (" + format_duration(*d) +
                              ") is more than Fargate's maximum stopTimeout (120s); on EC2 set ECS_CONTAINER_STOP_TIMEOUT "
                              "to at least this");
    }
  }
  if (auto tag = fields.get("tag")) {
    if (auto s = read_string(p, *tag)) {
      if (valid_image_tag_ref(*s))
        out.tag = *s;
      else
        p.add(tag->mark(), tag->path + ": " + tag->quoted() + " is not a valid image NAME[:TAG] such as orders-api:1.4.2");
    }
  }
  if (out.tag.empty() && !out.name.empty()) out.tag = out.name + ":latest";
  if (auto v = fields.get("labels")) read_labels(p, *v, out);
  if (auto v = fields.get("files")) read_app_files(p, *v, desc, out);  // after user: the files must be readable by it
  if (auto v = fields.get("exclude")) read_exclude(p, *v, out);
  if (auto v = fields.get("compression")) {
    if (auto s = read_string(p, *v)) {
      if (auto c = oci::parse_compression(*s))
        out.compression = *c;
      else
        p.add(v->mark(), v->path + ": unknown compression " + v->quoted() +
                             " (use gzip, which every runtime reads, or zstd: containerd 1.5+, Docker 23+, podman 4+)");
    }
  }
}

}  // namespace xb
