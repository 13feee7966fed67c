// What every OpenTelemetry collector kind shares (otel_collector.h): the
// collector YAML generated from agent: (awsxray and otlp receivers on
// loopback, memory_limiter, batch/traces, the awsxray exporter,
// health_check), agent.config merged over it and checked at FILE:LINE:COL,
// the readiness probes, the app's environment and the flush budget.
#include "agents/otel_collector.h"
#include "agents/config_path.h"
#include "agents/receivers.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "descriptor/suggest.h"
#include "util/strings.h"

namespace xb::agents {

namespace {


constexpr std::string_view kConfigPath = "/etc/xraybake/agent/config.yaml";
constexpr std::string_view kHealthCheck = "127.0.0.1:13133";
constexpr Millis kBatchTimeout{1000};
constexpr int kSendBatchSize = 50;
// What the collector itself needs besides the traces it buffers.
constexpr int kBaseMiB = 64;

// The keys of the components xraybake writes, as the collector's config structs
// name them ("*": a mapping whose keys are not checked).
struct KeySet {
  std::vector<std::string> keys;
  std::map<std::string, const KeySet*> children;
};

const KeySet kOtlpGrpc{{"endpoint", "transport", "tls", "max_recv_msg_size_mib", "max_concurrent_streams",
                        "read_buffer_size", "write_buffer_size", "keepalive", "auth", "include_metadata"},
                       {}};
const KeySet kOtlpHttp{{"endpoint", "tls", "cors", "auth", "include_metadata", "max_request_body_size",
                        "response_headers", "traces_url_path", "metrics_url_path", "logs_url_path"},
                       {}};
const KeySet kOtlpProtocols{{"grpc", "http"}, {{"grpc", &kOtlpGrpc}, {"http", &kOtlpHttp}}};
const KeySet kOtlp{{"protocols"}, {{"protocols", &kOtlpProtocols}}};
const KeySet kProxyServer{{"endpoint", "proxy_address", "tls", "region", "role_arn", "aws_endpoint", "local_mode",
                           "service_name"},
                          {}};
const KeySet kAwsxrayReceiver{{"endpoint", "transport", "proxy_server"}, {{"proxy_server", &kProxyServer}}};
const KeySet kBatch{{"timeout", "send_batch_size", "send_batch_max_size", "metadata_keys", "metadata_cardinality_limit"},
                    {}};
const KeySet kMemoryLimiter{{"check_interval", "limit_mib", "spike_limit_mib", "limit_percentage",
                             "spike_limit_percentage"},
                            {}};
const KeySet kAwsxrayExporter{{"region", "endpoint", "role_arn", "resource_arn", "local_mode", "proxy_address",
                               "request_timeout_seconds", "max_retries", "no_verify_ssl", "num_workers",
                               "indexed_attributes", "index_all_attributes", "aws_log_groups", "telemetry",
                               "external_id", "sts_region", "certificate_file_path", "shared_credentials_file",
                               "profile", "middleware", "transit_spans_in_otlp_format"},
                              {}};
const KeySet kHealthCheckKeys{{"endpoint", "path", "check_collector_pipeline", "response_body", "tls", "cors", "auth"},
                              {}};

// section/type -> the keys xraybake knows.
const KeySet* known_keys(const std::string& section, const std::string& type) {
  static const std::map<std::pair<std::string, std::string>, const KeySet*> m{
      {{"receivers", "otlp"}, &kOtlp},
      {{"receivers", "awsxray"}, &kAwsxrayReceiver},
      {{"processors", "batch"}, &kBatch},
      {{"processors", "memory_limiter"}, &kMemoryLimiter},
      {{"exporters", "awsxray"}, &kAwsxrayExporter},
      {{"extensions", "health_check"}, &kHealthCheckKeys},
  };
  auto it = m.find({section, type});
  return it == m.end() ? nullptr : it->second;
}

const std::vector<std::string> kTopSections{"receivers", "processors", "exporters", "extensions", "connectors",
                                            "service"};

int limit_mib(const AgentSpec& a) { return kBaseMiB + a.buffer_mb.value_or(kDefaultBufferMB); }

// The export request's timeout: what is left of flush_grace after one batch timeout, at least 1 s.
int request_timeout_seconds(const AgentSpec& a) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(a.flush_grace - kBatchTimeout).count();
  return static_cast<int>(std::max<int64_t>(1, left));
}

YAML::Node generated(const AgentSpec& a) {
  Receivers r = receivers_of(a);
  YAML::Node c;
  c["extensions"]["health_check"]["endpoint"] = std::string(kHealthCheck);
  std::vector<std::string> pipeline_receivers;
  if (r.grpc || r.http) {
    if (r.grpc) c["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = *r.grpc;
    if (r.http) c["receivers"]["otlp"]["protocols"]["http"]["endpoint"] = *r.http;
    pipeline_receivers.push_back("otlp");
  }
  if (r.xray) {
    YAML::Node x = c["receivers"]["awsxray"];
    x["endpoint"] = *r.xray;
    x["transport"] = "udp";
    YAML::Node proxy = x["proxy_server"];
    proxy["endpoint"] = *r.xray;  // the TCP sampling proxy, on the same host:port
    if (!a.region.empty()) proxy["region"] = a.region;
    if (!a.role_arn.empty()) proxy["role_arn"] = a.role_arn;
    if (!a.endpoint.empty()) proxy["aws_endpoint"] = a.endpoint;
    if (!a.proxy_address.empty()) proxy["proxy_address"] = a.proxy_address;
    if (a.local_mode) proxy["local_mode"] = *a.local_mode;
    pipeline_receivers.push_back("awsxray");
  }
  YAML::Node limiter = c["processors"]["memory_limiter"];
  limiter["check_interval"] = "1s";
  limiter["limit_mib"] = limit_mib(a);
  limiter["spike_limit_mib"] = std::max(1, limit_mib(a) / 5);
  c["processors"]["batch/traces"]["timeout"] = format_duration(kBatchTimeout);
  c["processors"]["batch/traces"]["send_batch_size"] = kSendBatchSize;
  YAML::Node e = c["exporters"]["awsxray"];
  if (!a.region.empty()) e["region"] = a.region;
  if (!a.endpoint.empty()) e["endpoint"] = a.endpoint;
  if (!a.role_arn.empty()) e["role_arn"] = a.role_arn;
  if (!a.resource_arn.empty()) e["resource_arn"] = a.resource_arn;
  if (a.local_mode) e["local_mode"] = *a.local_mode;
  if (!a.proxy_address.empty()) e["proxy_address"] = a.proxy_address;
  e["request_timeout_seconds"] = request_timeout_seconds(a);
  c["service"]["extensions"].push_back("health_check");
  YAML::Node traces = c["service"]["pipelines"]["traces"];
  for (const auto& id : pipeline_receivers) traces["receivers"].push_back(id);
  traces["processors"].push_back("memory_limiter");
  traces["processors"].push_back("batch/traces");
  traces["exporters"].push_back("awsxray");
  return c;
}

// OVER merged into BASE: mappings key by key, anything else replaced.
YAML::Node merged(const YAML::Node& base, const YAML::Node& over) {
  if (!over.IsDefined() || over.IsNull()) return YAML::Clone(base);
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (auto it = over.begin(); it != over.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    out[key] = out[key].IsDefined() ? merged(out[key], it->second) : YAML::Clone(it->second);
  }
  return out;
}

YAML::Node config_of(const AgentSpec& a) { return merged(generated(a), a.config); }

// Emits NODE keeping what was quoted quoted (a "5" stays a string).
void emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (auto it = node.begin(); it != node.end(); ++it) {
        out << YAML::Key << it->first.Scalar() << YAML::Value;
        emit(out, it->second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& child : node) emit(out, child);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!")
        out << YAML::DoubleQuoted << node.Scalar();
      else
        out << node.Scalar();
      break;
    default:
      out << YAML::Null;
  }
}

// --- checking agent.config ---------------------------------------------------

struct Checker {
  Problems& p;
  const OtelCollector& collector;

  void unknown(const YAML::Node& key, const std::string& path, const std::vector<std::string>& known,
               const std::string& what) {
    auto guess = nearest(key.Scalar(), known);
    p.add(key.Mark(), "unknown " + what + " \"" + key.Scalar() + "\" in " + path +
                          (guess ? " (did you mean \"" + *guess + "\"?)" : " (expected one of: " + join(known, ", ") + ")"));
  }

  bool is_map(const YAML::Node& n, const std::string& path) {
    if (n.IsMap() || n.IsNull()) return n.IsMap();
    p.add(n.Mark(), path + ": expected a mapping");
    return false;
  }

  void keys(const YAML::Node& n, const std::string& path, const KeySet& set) {
    if (!is_map(n, path)) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(set.keys.begin(), set.keys.end(), k) == set.keys.end()) {
        unknown(it->first, path, set.keys, "key");
        continue;
      }
      if (auto c = set.children.find(k); c != set.children.end()) keys(it->second, path + "." + k, *c->second);
    }
  }

  void components(const YAML::Node& n, const std::string& section) {
    const std::string path = "agent.config." + section;
    if (!is_map(n, path)) return;
    const std::vector<std::string>* shipped = collector.components(section);
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string id = it->first.Scalar();
      const std::string type = id.substr(0, id.find('/'));
      if (shipped && std::find(shipped->begin(), shipped->end(), type) == shipped->end()) {
        const auto& types = *shipped;
        auto guess = nearest(type, types);
        p.add(it->first.Mark(), "agent.config." + section + ": the " + std::string(collector.display_name()) + " has no " + section.substr(0, section.size() - 1) +
                                    " \"" + type + "\"" + (guess ? " (did you mean \"" + *guess + "\"?)" : " (it ships: " + join(types, ", ") + ")"));
        continue;
      }
      if (const KeySet* k = known_keys(section, type)) keys(it->second, path + "." + id, *k);
    }
  }

  // The settings xraybake derives from the descriptor's own keys.
  void owned(const YAML::Node& config) {
    struct Owned {
      std::vector<std::string> at;
      std::string instead;
    };
    const Owned owned[] = {
        {{"receivers", "awsxray", "endpoint"}, "agent.receivers.xray"},
        {{"receivers", "awsxray", "proxy_server", "endpoint"}, "agent.receivers.xray"},
        {{"receivers", "otlp", "protocols", "grpc", "endpoint"}, "agent.receivers.otlp_grpc"},
        {{"receivers", "otlp", "protocols", "http", "endpoint"}, "agent.receivers.otlp_http"},
        {{"extensions", "health_check", "endpoint"}, "nothing: the supervisor waits for it at " + std::string(kHealthCheck)},
    };
    for (const auto& o : owned) {
      if (auto mark = set_at(config, o.at))
        p.add(*mark, "agent.config." + join(o.at, ".") + " is set by xraybake from the descriptor: use " + o.instead +
                            " (the app's environment and the readiness checks follow it)");
    }
  }

  // service: pipelines name components that exist in the merged config.
  void service(const YAML::Node& n, const YAML::Node& all) {
    if (!is_map(n, "agent.config.service")) return;
    static const std::vector<std::string> service_keys{"extensions", "pipelines", "telemetry"};
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(service_keys.begin(), service_keys.end(), k) == service_keys.end())
        unknown(it->first, "agent.config.service", service_keys, "key");
    }
    if (n["extensions"].IsDefined()) references(n["extensions"], "agent.config.service.extensions", "extensions", all);
    YAML::Node pipelines = n["pipelines"];
    if (!pipelines.IsDefined() || !is_map(pipelines, "agent.config.service.pipelines")) return;
    static const std::vector<std::string> signals{"traces", "metrics", "logs"};
    static const std::vector<std::string> stages{"receivers", "processors", "exporters"};
    for (auto it = pipelines.begin(); it != pipelines.end(); ++it) {
      const std::string id = it->first.Scalar();
      const std::string path = "agent.config.service.pipelines." + id;
      if (std::find(signals.begin(), signals.end(), id.substr(0, id.find('/'))) == signals.end()) {
        unknown(it->first, "agent.config.service.pipelines", signals, "pipeline type");
        continue;
      }
      if (!is_map(it->second, path)) continue;
      for (auto s = it->second.begin(); s != it->second.end(); ++s) {
        const std::string stage = s->first.Scalar();
        if (std::find(stages.begin(), stages.end(), stage) == stages.end()) {
          unknown(s->first, path, stages, "key");
          continue;
        }
        references(s->second, path + "." + stage, stage, all);
      }
    }
  }

  void references(const YAML::Node& list, const std::string& path, const std::string& section, const YAML::Node& all) {
    if (!list.IsSequence()) {
      p.add(list.Mark(), path + ": expected a list of component names");
      return;
    }
    for (const auto& item : list) {
      const std::string id = item.IsScalar() ? item.Scalar() : "";
      bool defined = find(all, {section, id}).has_value();
      bool connector = section != "processors" && find(all, {"connectors", id}).has_value();
      if (!defined && !connector)
        p.add(item.Mark(), path + ": \"" + id + "\" is not defined in " + section + " (the collector would not start)");
    }
  }

  void all(const AgentSpec& a) {
    const YAML::Node& c = a.config;
    if (!c.IsDefined() || c.IsNull()) return;
    if (!c.IsMap()) {
      p.add(c.Mark(), "agent.config: expected a mapping of collector YAML (receivers, processors, exporters, extensions, service)");
      return;
    }
    for (auto it = c.begin(); it != c.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(kTopSections.begin(), kTopSections.end(), k) == kTopSections.end())
        unknown(it->first, "agent.config", kTopSections, "section");
      else if (k != "service")
        components(it->second, k);
    }
    owned(c);
    if (c["service"].IsDefined()) service(c["service"], config_of(a));
  }
};

Millis go_duration(const YAML::Node& n, Millis fallback) {
  if (!n.IsScalar()) return fallback;
  return parse_duration(n.Scalar()).value_or(fallback);
}

}  // namespace

bool OtelCollector::exact_version(const std::string& version) {
  static const std::regex re("[0-9]+\\.[0-9]+\\.[0-9]+");
  return std::regex_match(version, re);
}

void OtelCollector::check(Problems& p, Descriptor& desc) const {
  const AgentSpec& a = *desc.agent;
  const YAML::Node version = a.node["version"];
  if (a.version.empty()) {
    p.add(a.node["kind"].Mark(), "agent.version: " + std::string(kind()) + " needs an exact version such as " + std::string(example_version()));
  } else if (!exact_version(a.version)) {
    for (const auto& platform : desc.service.platforms) {
      std::string arch = platform_arch(platform);
      if (!a.sha256.count(arch))
        p.add(version.Mark(), "agent.version: \"" + a.version + "\" is a moving name: pin agent.sha256." + arch +
                                  " (or use an exact version such as " + std::string(example_version()) + ")");
    }
  }
  Receivers r = receivers_of(a);
  if (!r.xray && !r.grpc && !r.http)
    p.add(a.node["receivers"].Mark(), "agent.receivers: every receiver is off: the app could send nothing");
  Checker{p, *this}.all(a);
}

std::vector<ConfigFile> OtelCollector::config_files(const Descriptor& desc) const {
  YAML::Emitter out;
  emit(out, config_of(*desc.agent));
  return {{std::string(kConfigPath), "agent/config.yaml",
           "# The " + std::string(display_name()) + "'s configuration, generated by xraybake from agent: (agent.config "
           "merged over it).\n" + std::string(out.c_str()) + "\n"}};
}

std::vector<std::string> OtelCollector::writable_dirs(const Descriptor& desc) const {
  const std::string& log = desc.agent->log;
  if (log == "stdout") return {};
  auto dir = std::filesystem::path(log).lexically_normal().parent_path();
  if (dir == dir.root_path() || dir.empty()) return {};
  return {dir.string()};
}

std::vector<std::string> OtelCollector::argv(const Descriptor& desc) const {
  std::vector<std::string> args{std::string(binary()), "--config", std::string(kConfigPath)};
  args.insert(args.end(), desc.agent->args.begin(), desc.agent->args.end());
  return args;
}

// The collector logs to stderr (RUN_IN_CONTAINER for ADOT): the supervisor puts that into agent.log.
std::optional<std::string> OtelCollector::supervisor_log(const Descriptor& desc) const {
  if (desc.agent->log == "stdout") return std::nullopt;
  return desc.agent->log;
}

std::vector<std::string> OtelCollector::ready_probes(const Descriptor& desc) const {
  std::vector<std::string> probes = receiver_probes(receivers_of(*desc.agent));
  probes.push_back("http://" + std::string(kHealthCheck) + "/");
  return probes;
}

// The Go heap kept under the memory_limiter's limit.
Env OtelCollector::agent_env(const Descriptor& desc) const {
  return {{"GOMEMLIMIT", std::to_string(limit_mib(*desc.agent) * 4 / 5) + "MiB"}};
}

int OtelCollector::memory_mib(const Descriptor& desc) const { return limit_mib(*desc.agent); }

Env OtelCollector::app_env(const Descriptor& desc) const { return receiver_app_env(receivers_of(*desc.agent)); }

// One batch timeout plus one export request, as the merged config has them.
Millis OtelCollector::min_flush_grace(const Descriptor& desc) const {
  YAML::Node c = config_of(*desc.agent);
  Millis batch = go_duration(find(c, {"processors", "batch/traces", "timeout"}).value_or(YAML::Node()), kBatchTimeout);
  YAML::Node t = find(c, {"exporters", "awsxray", "request_timeout_seconds"}).value_or(YAML::Node());
  long seconds = 30;  // the exporter's default
  if (t.IsScalar()) try {
      seconds = std::stol(t.Scalar());
    } catch (const std::exception&) {
    }
  return batch + Millis(std::clamp(seconds, 0L, 86400L) * 1000);
}

std::optional<std::string> OtelCollector::support_notice(const Descriptor&) const { return std::nullopt; }

}  // namespace xb::agents
