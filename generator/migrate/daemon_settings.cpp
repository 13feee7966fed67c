#include "migrate/daemon_settings.h"

#include <regex>

#include "migrate/yaml_text.h"

namespace xb::migrate {

namespace {

const std::vector<TargetWords> kTargets{
    {"adot-collector", "the ADOT collector", "the ADOT collector's .deb comes from one global bucket, not one per region",
     "aws-otel-collector.deb",
     "AWS signs the collector with another one: set agent.signing_key to aws-otel-collector.gpg to verify it",
     "the collector's exporters.awsxray.num_workers (default 8) in agent.config",
     "the collector's exporters.awsxray.no_verify_ssl in agent.config",
     "the collector logs at info, its service.telemetry.logs.level in agent.config sets that",
     "the collector logs to stderr in a container; agent.log sends that to a file",
     "the collector does not rotate its log in a container"},
    {"otelcol-contrib", "the OpenTelemetry Collector contrib",
     "otelcol-contrib comes from the project's GitHub releases, not from a bucket per region",
     "otelcol-contrib_VERSION_linux_ARCH.deb",
     "the release is not signed with a GPG key: xraybake checks the .deb against the release's checksums file",
     "the collector's exporters.awsxray.num_workers (default 8) in agent.config",
     "the collector's exporters.awsxray.no_verify_ssl in agent.config",
     "the collector logs at info, its service.telemetry.logs.level in agent.config sets that",
     "the collector logs to stderr in a container; agent.log sends that to a file",
     "the collector does not rotate its log in a container"},
    {"cloudwatch-agent", "the CloudWatch agent",
     "the CloudWatch agent's .deb comes from the bucket of agent.region (or the global one without it)",
     "amazon-cloudwatch-agent.deb",
     "AWS signs the CloudWatch agent with another one (a detached URL.sig): set agent.signing_key to "
     "amazon-cloudwatch-agent.gpg to verify it",
     "traces.concurrency in agent.config",
     "the CloudWatch agent's traces settings in agent.config (see its schema, doc/amazon-cloudwatch-agent-schema.json)",
     "agent.debug: true in agent.config logs at debug",
     "the CloudWatch agent logs to stdout in a container; agent.log sends that to a file",
     "the CloudWatch agent does not rotate its log in a container"},
};

}  // namespace

const TargetWords& target_words(std::string_view to) {
  for (const auto& t : kTargets)
    if (t.kind == to) return t;
  return kTargets.front();  // an OpenTelemetry collector of another build
}

Rule xray_rule(std::string_view key, const TargetWords& to) {
  auto s = [](std::string_view v) { return std::string(v); };
  if (key == "config") return {Fate::config, "", ""};
  if (key == "args") return {Fate::args, "", ""};
  if (key == "log" || key == "flush_grace" || key == "ready_timeout" || key == "restart") return {Fate::keep, "", ""};
  if (key == "version")
    return {Fate::drop, "", "the daemon's version; agent.version is " + s(to.name) + "'s (--agent-version to choose another)"};
  if (key == "bucket_region") return {Fate::drop, "", s(to.bucket)};
  if (key == "url")
    return {Fate::drop, "", "the daemon's .deb; " + s(to.name) + "'s default URL is used (set agent.url if you mirror " +
                                s(to.deb) + ")"};
  if (key == "sha256")
    return {Fate::drop, "", "pins of the daemon's .deb; xraybake fetch pins " + s(to.name) + "'s in xraybake.lock"};
  if (key == "signing_key") return {Fate::drop, "", "the key of the daemon's .deb; " + s(to.signing)};
  return {Fate::not_translated, "", "not a key of xray:"};
}

Rule config_rule(std::string_view key, const TargetWords& to) {
  auto s = [](std::string_view v) { return std::string(v); };
  static const std::vector<std::pair<std::string_view, std::string_view>> renames{
      {"Region", "region"},           {"Endpoint", "endpoint"},       {"LocalMode", "local_mode"},
      {"RoleARN", "role_arn"},        {"ResourceARN", "resource_arn"}, {"ProxyAddress", "proxy_address"},
      {"TotalBufferSizeMB", "buffer_mb"}};
  for (const auto& [from, dest] : renames)
    if (key == from) return {Fate::rename, std::string(dest), ""};
  if (key == "Socket") return {Fate::socket, "", ""};
  if (key == "Version")
    return {Fate::drop, "", "the format of the daemon's cfg.yaml; xraybake writes " + s(to.name) + "'s config"};
  if (key == "Concurrency") return {Fate::not_translated, "", "no agent key; the nearest is " + s(to.concurrency)};
  if (key == "NoVerifySSL") return {Fate::not_translated, "", "no agent key; the nearest is " + s(to.no_verify)};
  if (key == "Logging.LogLevel") return {Fate::not_translated, "", "no agent key; " + s(to.log_level)};
  if (key == "Logging.LogPath") return {Fate::not_translated, "", s(to.log_file)};
  if (key == "Logging.LogRotation") return {Fate::not_translated, "", s(to.rotation)};
  if (key == "Logging") return {Fate::not_translated, "", "no agent key"};
  return {Fate::not_translated, "", "not a key of the daemon's cfg.yaml"};
}

std::vector<Flag> read_daemon_flags(const std::vector<std::string>& args, const TargetWords& to) {
  struct Known {
    const char* short_name;
    const char* long_name;
    const char* agent_key;  // empty: not translated
    bool boolean;
    std::string why;
  };
  const std::vector<Known> known{
      {"a", "resource-arn", "resource_arn", false, ""},
      {"o", "local-mode", "local_mode", true, ""},
      {"m", "buffer-memory", "buffer_mb", false, ""},
      {"n", "region", "region", false, ""},
      {"b", "bind", "receivers.xray", false, ""},
      {"t", "bind-tcp", "tcp", false, ""},
      {"r", "role-arn", "role_arn", false, ""},
      {"p", "proxy-address", "proxy_address", false, ""},
      {"l", "log-level", "", false, "no agent key; " + std::string(to.log_level)},
      {"f", "log-file", "", false, std::string(to.log_file)},
  };
  static const std::regex flag_re("--?([A-Za-z][A-Za-z-]*)(?:=(.*))?");
  std::vector<Flag> out;
  for (size_t i = 0; i < args.size(); ++i) {
    Flag f;
    f.index = i;
    f.text = args[i];
    std::smatch m;
    const Known* k = nullptr;
    if (std::regex_match(args[i], m, flag_re)) {
      for (const auto& c : known)
        if (m[1] == c.short_name || m[1] == c.long_name) k = &c;
    }
    if (!k) {
      f.why = args[i].starts_with("-") ? "not a flag of the X-Ray daemon that an agent key carries"
                                       : "not a flag (an argument without one)";
      out.push_back(f);
      continue;
    }
    std::string value;
    bool has_value = m[2].matched;
    if (has_value) {
      value = m[2];
    } else if (k->boolean) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
      f.count = 2;
      f.text += " " + value;
      has_value = true;
    }
    if (!has_value && !k->boolean) {
      f.why = "the flag has no value";
    } else if (*k->agent_key == '\0') {
      f.why = k->why;
    } else if (k->boolean) {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        f.why = "\"" + value + "\" is not true or false";
      } else {
        f.agent_key = k->agent_key;
        f.value = value == "true" || value == "1" ? "true" : "false";
      }
    } else {
      f.agent_key = k->agent_key;
      static const std::regex digits("[0-9]+");
      f.value = std::string(k->agent_key) == "buffer_mb" && std::regex_match(value, digits) ? value : scalar_text(value);
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace xb::migrate
