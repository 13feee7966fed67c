// cloudwatch-agent: the Amazon CloudWatch agent as a trace agent (agents.md):
// its .deb from the global bucket or, with agent.region, the region's bucket,
// verified against the detached URL.sig; started through
// start-amazon-cloudwatch-agent, which translates the JSON config and execs
// the agent in the same PID. The JSON config is generated from agent:
// (traces.traces_collected.xray with its TCP proxy, otlp on loopback,
// buffer_size_mb and the overrides), agent.config merged over it, and the
// result checked by `build` against the JSON schema the .deb ships.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "agents/agent.h"
#include "agents/config_path.h"
#include "agents/receivers.h"
#include "descriptor/problems.h"
#include "util/strings.h"

namespace xb::agents {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kGlobalUrl =
    "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/{arch}/{version}/amazon-cloudwatch-agent.deb";
constexpr std::string_view kRegionalUrl =
    "https://amazoncloudwatch-agent-{region}.s3.{region}.amazonaws.com/ubuntu/{arch}/{version}/"
    "amazon-cloudwatch-agent.deb";

constexpr std::string_view kHome = "/opt/aws/amazon-cloudwatch-agent";
constexpr std::string_view kSchema = "opt/aws/amazon-cloudwatch-agent/doc/amazon-cloudwatch-agent-schema.json";
// In container mode the start program reads the JSON files of this directory.
constexpr std::string_view kCwagentConfigPath = "/etc/cwagentconfig/amazon-cloudwatch-agent.json";
// The agent's trace pipeline: batch {timeout: 200ms}, exporter request_timeout_seconds 30 (not settable in its JSON).
constexpr Millis kCwagentBatchTimeout{200};
constexpr Millis kRequestTimeout{30000};
constexpr int kCwagentBaseMiB = 64;

std::string home(std::string_view rel) { return std::string(kHome) + "/" + std::string(rel); }

bool moving(const std::string& version) { return version.empty() || version == "latest"; }

// --- agent.config (YAML) as JSON, with where each value was written ---------

using Marks = std::map<std::string, YAML::Mark>;  // JSON pointer -> position in the descriptor

json scalar(const YAML::Node& n) {
  const std::string& v = n.Scalar();
  if (n.Tag() == "!") return v;  // quoted: a string
  static const std::regex integer("[-+]?[0-9]+"), real("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  if (std::regex_match(v, integer)) try {
      return std::stoll(v);
    } catch (const std::exception&) {
    }
  if (std::regex_match(v, real)) try {
      return std::stod(v);
    } catch (const std::exception&) {
    }
  return v;
}

std::string escape_pointer(const std::string& key) {
  std::string out;
  for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return out;
}

json to_json(const YAML::Node& n, const std::string& pointer, Marks& marks) {
  marks[pointer] = n.Mark();
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        out[key] = to_json(it->second, pointer + "/" + escape_pointer(key), marks);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      size_t i = 0;
      for (const auto& child : n) out.push_back(to_json(child, pointer + "/" + std::to_string(i++), marks));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar(n);
    default:
      return nullptr;
  }
}

// OVER merged into BASE: objects key by key, anything else replaced.
void merge(json& base, const json& over) {
  if (!base.is_object() || !over.is_object()) {
    base = over;
    return;
  }
  for (auto it = over.begin(); it != over.end(); ++it) {
    if (base.contains(it.key())) merge(base[it.key()], it.value());
    else base[it.key()] = it.value();
  }
}

int buffer_mb(const AgentSpec& a) { return a.buffer_mb.value_or(kDefaultBufferMB); }

json generated_json(const AgentSpec& a) {
  Receivers r = receivers_of(a);
  json c = json::object();
  if (!a.role_arn.empty()) c["agent"]["credentials"]["role_arn"] = a.role_arn;
  json& traces = c["traces"];
  json& collected = traces["traces_collected"];
  if (r.xray) {
    collected["xray"]["bind_address"] = *r.xray;
    collected["xray"]["tcp_proxy"]["bind_address"] = *r.xray;  // the sampling proxy on the same host:port
  }
  if (r.grpc || r.http) {
    json& otlp = collected["otlp"];
    otlp = json::object();
    // An OTLP receiver left off gets a port nobody is told about: the agent always opens both.
    if (r.grpc) otlp["grpc_endpoint"] = *r.grpc;
    if (r.http) otlp["http_endpoint"] = *r.http;
  }
  traces["buffer_size_mb"] = buffer_mb(a);
  if (!a.region.empty()) traces["region_override"] = a.region;
  if (!a.endpoint.empty()) traces["endpoint_override"] = a.endpoint;
  if (a.local_mode) traces["local_mode"] = *a.local_mode;
  if (!a.resource_arn.empty()) traces["resource_arn"] = a.resource_arn;
  if (!a.proxy_address.empty()) traces["proxy_override"] = a.proxy_address;
  return c;
}

struct Merged {
  json config;
  Marks marks;  // of what agent.config wrote
};

Merged merged_config(const AgentSpec& a) {
  Merged m{generated_json(a), {}};
  if (a.config.IsDefined() && a.config.IsMap()) merge(m.config, to_json(a.config, "", m.marks));
  return m;
}

// The settings xraybake derives from the descriptor's own keys.
struct Owned {
  std::vector<std::string> at;
  std::string instead;
};
const std::vector<Owned>& owned() {
  static const std::vector<Owned> o{
      {{"traces", "traces_collected", "xray", "bind_address"}, "agent.receivers.xray"},
      {{"traces", "traces_collected", "xray", "tcp_proxy", "bind_address"}, "agent.receivers.xray"},
      {{"traces", "traces_collected", "otlp", "grpc_endpoint"}, "agent.receivers.otlp_grpc"},
      {{"traces", "traces_collected", "otlp", "http_endpoint"}, "agent.receivers.otlp_http"},
      {{"traces", "buffer_size_mb"}, "agent.buffer_mb"},
      {{"traces", "region_override"}, "agent.region"},
      {{"traces", "endpoint_override"}, "agent.endpoint"},
      {{"traces", "local_mode"}, "agent.local_mode"},
      {{"traces", "resource_arn"}, "agent.resource_arn"},
      {{"traces", "proxy_override"}, "agent.proxy_address"},
      {{"agent", "credentials", "role_arn"}, "agent.role_arn"},
  };
  return o;
}

// "/traces/traces_collected" -> "traces.traces_collected"
std::string dotted(const std::string& pointer) {
  std::string out;
  for (size_t i = 0; i < pointer.size(); ++i) {
    if (pointer[i] == '/') out += i == 0 ? "" : ".";
    else if (pointer[i] == '~' && i + 1 < pointer.size()) out += pointer[++i] == '0' ? '~' : '/';
    else out += pointer[i];
  }
  return out;
}

class CloudwatchAgent final : public Agent {
 public:
  std::string_view kind() const override { return "cloudwatch-agent"; }
  std::string_view package_name() const override { return "amazon-cloudwatch-agent"; }
  std::string_view example_version() const override { return "1.300071.0"; }

  Package package(const Descriptor& desc) const override {
    const AgentSpec& a = *desc.agent;
    std::string url = !a.url.empty() ? a.url : std::string(a.region.empty() ? kGlobalUrl : kRegionalUrl);
    Package p{"agent", url, a.region, moving(a.version) ? "latest" : a.version, a.sha256, a.signing_key,
              "check agent.version (" + (a.version.empty() ? std::string("latest") : a.version) +
                  "; latest or a release such as 1.300071.0), agent.region (its bucket) and the architecture",
              "CloudWatch agent", "XRAYBAKE_CWAGENT_URL"};
    p.detached_signature = true;
    return p;
  }

  // What a container needs: not the ctl script, the wizard, config-downloader,
  // workload-discovery or the JMX jar.
  std::vector<LayerFile> layer_files() const override {
    std::vector<LayerFile> files;
    for (const char* bin : {"bin/amazon-cloudwatch-agent", "bin/start-amazon-cloudwatch-agent", "bin/config-translator"})
      files.push_back({home(bin).substr(1), home(bin), 0755});
    files.push_back({home("etc/common-config.toml").substr(1), home("etc/common-config.toml"), 0644});
    return files;
  }

  void check(Problems& p, Descriptor& desc) const override {
    const AgentSpec& a = *desc.agent;
    if (moving(a.version)) {
      for (const auto& platform : desc.service.platforms) {
        std::string arch = platform_arch(platform);
        if (!a.sha256.count(arch)) {
          const YAML::Node v = a.node["version"];
          p.add(v.IsDefined() ? v.Mark() : a.node["kind"].Mark(),
                "agent.version: \"" + (a.version.empty() ? std::string("latest") : a.version) +
                    "\" is a moving name: pin agent.sha256." + arch + " (or use a release such as 1.300071.0)");
        }
      }
    }
    Receivers r = receivers_of(a);
    if (!r.xray && !r.grpc && !r.http)
      p.add(a.node["receivers"].Mark(), "agent.receivers: every receiver is off: the app could send nothing");
    const YAML::Node& c = a.config;
    if (!c.IsDefined() || c.IsNull()) return;
    if (!c.IsMap()) {
      p.add(c.Mark(), "agent.config: expected a mapping of the CloudWatch agent's JSON config (agent, traces, logs, metrics)");
      return;
    }
    for (const auto& o : owned()) {
      if (auto mark = set_at(c, o.at))
        p.add(*mark, "agent.config." + join(o.at, ".") + " is set by xraybake from the descriptor: use " + o.instead +
                             " (the app's environment and the readiness checks follow it)");
    }
    if (!a.signing_key)
      p.warn(desc.agent_mark, "agent.signing_key is not set: only the sha256 pin checks the CloudWatch agent's .deb "
                              "(set it to AWS's key, fingerprint 9376 16F3 450B 7D80 6CBD 9725 D581 6730 3B78 9C72, "
                              "to check the detached .sig)");
  }

  std::vector<ConfigFile> config_files(const Descriptor& desc) const override {
    return {{std::string(kCwagentConfigPath), "agent/amazon-cloudwatch-agent.json",
             merged_config(*desc.agent).config.dump(2) + "\n"}};
  }

  // The start program writes the translated TOML/YAML into etc/; the agent its state and logs.
  std::vector<std::string> writable_dirs(const Descriptor& desc) const override {
    std::vector<std::string> dirs{home("etc"), home("var"), home("logs")};
    const std::string& log = desc.agent->log;
    if (log != "stdout") {
      auto dir = std::filesystem::path(log).lexically_normal().parent_path();
      if (dir != dir.root_path() && !dir.empty() && std::find(dirs.begin(), dirs.end(), dir.string()) == dirs.end())
        dirs.push_back(dir.string());
    }
    return dirs;
  }

  std::vector<std::string> argv(const Descriptor& desc) const override {
    std::vector<std::string> args{home("bin/start-amazon-cloudwatch-agent")};
    args.insert(args.end(), desc.agent->args.begin(), desc.agent->args.end());
    return args;
  }

  // RUN_IN_CONTAINER: the agent logs to stderr; the supervisor puts that into agent.log.
  std::optional<std::string> supervisor_log(const Descriptor& desc) const override {
    if (desc.agent->log == "stdout") return std::nullopt;
    return desc.agent->log;
  }

  // No health_check in the CloudWatch agent's default pipeline: the receivers' sockets.
  std::vector<std::string> ready_probes(const Descriptor& desc) const override {
    return receiver_probes(receivers_of(*desc.agent));
  }

  // What it is held to: its baseline plus the trace buffer (buffer_size_mb); the Go heap kept under it.
  int memory_mib(const Descriptor& desc) const override { return kCwagentBaseMiB + buffer_mb(*desc.agent); }

  Env agent_env(const Descriptor& desc) const override {
    return {{"RUN_IN_CONTAINER", "True"}, {"GOMEMLIMIT", std::to_string(memory_mib(desc) * 4 / 5) + "MiB"}};
  }

  Env app_env(const Descriptor& desc) const override { return receiver_app_env(receivers_of(*desc.agent)); }

  // Its batch timeout plus one export request (request_timeout_seconds is 30 and not in its JSON).
  Millis min_flush_grace(const Descriptor&) const override { return kCwagentBatchTimeout + kRequestTimeout; }

  std::optional<std::string> support_notice(const Descriptor&) const override { return std::nullopt; }

  std::vector<std::string> package_checks() const override { return {std::string(kSchema)}; }

  void check_against_package(Problems& p, const Descriptor& desc, const std::map<std::string, std::string>& files,
                             const std::string& deb_url) const override {
    const std::string where = deb_url + ": /" + std::string(kSchema);
    auto it = files.find(std::string(kSchema));
    if (it == files.end()) {
      p.add(desc.agent_mark, where + " is missing: the config cannot be checked");
      return;
    }
    nlohmann::json schema_doc = nlohmann::json::parse(it->second, nullptr, false);
    valijson::Schema schema;
    try {
      if (schema_doc.is_discarded()) throw std::runtime_error("not JSON");
      valijson::SchemaParser parser;
      valijson::adapters::NlohmannJsonAdapter adapter(schema_doc);
      parser.populateSchema(adapter, schema);
    } catch (const std::exception& e) {
      p.add(desc.agent_mark, where + " is not a JSON schema xraybake can read (" + e.what() + ")");
      return;
    }
    const AgentSpec& a = *desc.agent;
    Merged m = merged_config(a);
    const nlohmann::json target = nlohmann::json::parse(m.config.dump());
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target_adapter(target);
    if (validator.validate(schema, target_adapter, &results)) return;
    // valijson reports each failure and then, for every parent, that the
    // parent failed too: only the failures themselves are shown.
    static const std::vector<std::string> wrappers{
        "Failed to validate against schema associated with property name", "Failed to validate item #",
        "Failed to validate against additional properties schema",
        "Failed to validate against schema associated with pattern"};
    static const std::string kUnwanted =
        "Object contains a property that could not be validated using 'properties' or 'additionalProperties' "
        "constraints: '";
    std::vector<std::pair<std::string, std::string>> errors;  // pointer, description
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      if (std::any_of(wrappers.begin(), wrappers.end(),
                      [&](const std::string& w) { return e.description.rfind(w, 0) == 0; }))
        continue;
      std::string pointer;
      for (const auto& part : e.context) {
        if (part == "<root>") continue;
        std::string key = part.size() >= 2 && part.front() == '[' && part.back() == ']' ? part.substr(1, part.size() - 2)
                                                                                         : part;
        pointer += "/" + escape_pointer(key);
      }
      std::string description = e.description;
      if (description.rfind(kUnwanted, 0) == 0 && description.size() > kUnwanted.size() + 2) {
        // At the key itself: "agent.config.logz: not a key the schema allows here".
        pointer += "/" + escape_pointer(description.substr(kUnwanted.size(), description.size() - kUnwanted.size() - 2));
        description = "not a key the schema allows here";
      }
      errors.emplace_back(pointer, description);
    }
    std::set<std::pair<std::string, std::string>> shown;
    for (const auto& [pointer, description] : errors) {
      if (!shown.insert({pointer, description}).second) continue;
      // Where agent.config wrote it, or its nearest parent agent.config wrote; else the agent: section.
      YAML::Mark at = desc.agent_mark;
      bool written = false;
      for (std::string up = pointer;; up = up.substr(0, up.rfind('/'))) {
        if (auto mark = m.marks.find(up); mark != m.marks.end()) {
          at = up.empty() && a.config.IsDefined() ? a.config.Mark() : mark->second;
          written = true;
          break;
        }
        if (up.empty()) break;
      }
      const std::string key = pointer.empty() ? "agent.config" : "agent.config." + dotted(pointer);
      p.add(at, key + ": " + description + " (the CloudWatch agent's schema, " + where + ")" +
                    (written ? "" : "; xraybake generated this part from agent:"));
    }
  }
};

}  // namespace

const Agent& cloudwatch_agent_agent() {
  static const CloudwatchAgent agent;
  return agent;
}

}  // namespace xb::agents
