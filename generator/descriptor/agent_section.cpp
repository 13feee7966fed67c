// The agent: section: the keys every kind shares. What only a kind knows
// (its config, which receivers it has, its versions) is checked by that kind
// in generator/agents/, through the DescriptorCheck of agents::load_descriptor.
#include <regex>

#include "descriptor/sections.h"
#include "descriptor/suggest.h"
#include "util/strings.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kAgentKeys{
    "kind",      "version",   "url",        "sha256",   "signing_key", "region",        "endpoint",
    "local_mode", "role_arn", "resource_arn", "proxy_address", "buffer_mb", "receivers", "config",
    "args",      "log",       "flush_grace", "ready_timeout", "restart"};
const std::vector<std::string> kReceiverKeys{"xray", "otlp_grpc", "otlp_http"};

namespace {


void read_kind(Problems& p, const Field& f, AgentSpec& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (std::find(kAgentKinds.begin(), kAgentKinds.end(), *s) != kAgentKinds.end()) {
    out.kind = *s;
    return;
  }
  auto guess = nearest(*s, kAgentKinds);
  p.add(f.mark(), "agent.kind: unknown kind " + f.quoted() +
                      (guess ? " (did you mean " + *guess + "?)" : " (one of " + join(kAgentKinds, ", ") + ")"));
}

// A plain string that travels into a config file; SHAPE checks it (empty: anything on one line).
void read_text(Problems& p, const Field& f, std::string& out, const std::regex* shape = nullptr,
               const std::string& what = "") {
  auto s = read_string(p, f);
  if (!s) return;
  if (s->find_first_of("\n\r") != std::string::npos)
    p.add(f.mark(), f.path + ": must be one line");
  else if (shape && !std::regex_match(*s, *shape))
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not " + what);
  else
    out = *s;
}

void read_bool(Problems& p, const Field& f, std::optional<bool>& out) {
  auto s = read_string(p, f);
  if (!s) return;
  if (f.value.Tag() != "!" && (*s == "true" || *s == "false"))
    out = *s == "true";
  else
    p.add(f.mark(), f.path + ": expected true or false, got " + f.quoted());
}

void read_buffer_mb(Problems& p, const Field& f, std::optional<int>& out) {
  static const std::regex digits("[0-9]{1,6}");
  auto s = read_string(p, f);
  if (!s) return;
  if (f.value.Tag() == "!" || !std::regex_match(*s, digits) || std::stoi(*s) < 1)
    p.add(f.mark(), f.path + ": expected a whole number of MB (at least 1), got " + f.quoted());
  else
    out = std::stoi(*s);
}

// host:port on which a receiver listens, or off.
void read_receivers(Problems& p, const Field& f, AgentSpec::Receivers& out) {
  static const std::regex address(
      "(([0-9]{1,3}\\.){3}[0-9]{1,3}|\\[[0-9a-fA-F:.]+\\]|localhost|[a-zA-Z0-9][a-zA-Z0-9.-]*):[0-9]{1,5}");
  MapFields fields(p, f, kReceiverKeys);
  for (const auto& field : fields.all()) {
    auto s = read_string(p, field);
    if (!s) continue;
    bool port_ok = false;
    if (std::regex_match(*s, address)) {
      long port = std::stol(s->substr(s->rfind(':') + 1));
      port_ok = port > 0 && port < 65536;
    }
    if (*s != "off" && !port_ok) {
      p.add(field.mark(), field.path + ": " + field.quoted() + " is not HOST:PORT (e.g. 127.0.0.1:2000) or off");
      continue;
    }
    const std::string& key = field.key.Scalar();
    (key == "xray" ? out.xray : key == "otlp_grpc" ? out.otlp_grpc : out.otlp_http) = *s;
  }
}

}  // namespace

void read_agent(Problems& p, const Field& f, const Descriptor& desc, AgentSpec& out) {
  out.node = f.value;
  MapFields fields(p, f, kAgentKeys);
  if (!fields.ok()) return;
  if (auto v = fields.get("kind"))
    read_kind(p, *v, out);
  else
    p.add(f.mark(), "agent: missing kind (one of " + join(kAgentKinds, ", ") + ")");
  if (auto v = fields.get("version")) {
    // The kind says which versions it takes; here only what fits in a URL.
    static const std::regex re("[0-9A-Za-z][0-9A-Za-z.+~_-]*");
    read_text(p, *v, out.version, &re, "a version such as 0.49.0");
  }
  if (auto v = fields.get("url")) read_agent_url(p, *v, out);
  if (auto v = fields.get("sha256")) read_agent_sha256(p, *v, out);
  if (auto v = fields.get("signing_key")) read_agent_signing_key(p, *v, desc, out);
  if (auto v = fields.get("region")) {
    static const std::regex re("[a-z]{2}(-[a-z]+)+-[0-9]+");
    read_text(p, *v, out.region, &re, "an AWS region such as us-east-1");
  }
  if (auto v = fields.get("endpoint")) read_text(p, *v, out.endpoint);
  if (auto v = fields.get("local_mode")) read_bool(p, *v, out.local_mode);
  if (auto v = fields.get("role_arn")) {
    static const std::regex re("arn:aws[a-z-]*:iam::[0-9]{12}:role/.+");
    read_text(p, *v, out.role_arn, &re, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)");
  }
  if (auto v = fields.get("resource_arn")) {
    static const std::regex re("arn:aws[a-z-]*:.+");
    read_text(p, *v, out.resource_arn, &re, "an ARN (arn:aws:...)");
  }
  if (auto v = fields.get("proxy_address")) read_text(p, *v, out.proxy_address);
  if (auto v = fields.get("buffer_mb")) read_buffer_mb(p, *v, out.buffer_mb);
  if (auto v = fields.get("receivers")) read_receivers(p, *v, out.receivers);
  if (auto v = fields.get("config")) {
    out.config = v->value;
    out.config_key = v->key;
  }
  read_agent_run_keys(p, fields, out);
}

}  // namespace xb
