// The ecs: section: the task around the container (family, launch type, task
// cpu and memory, roles), its awslogs log configuration and its health check.
// Every value is checked as the ECS API checks it, so that what build writes
// registers as it is.
#include <regex>

#include "descriptor/sections.h"
#include "util/strings.h"

namespace xb {

// The keys this section takes (sections.h; the schema test compares them).
const std::vector<std::string> kEcsKeys{"family", "launch_type", "cpu", "memory", "execution_role_arn",
                                        "task_role_arn", "logs", "health_check"};
const std::vector<std::string> kEcsLogsKeys{"group", "region", "stream_prefix"};
const std::vector<std::string> kEcsHealthKeys{"interval", "timeout", "retries", "start_period"};

namespace {

const std::regex kRegion("[a-z]{2}(-[a-z]+)+-[0-9]");

void read_pattern(Problems& p, const Field& f, std::string& out, const std::regex& shape, const std::string& what) {
  auto s = read_string(p, f);
  if (!s) return;
  if (!std::regex_match(*s, shape))
    p.add(f.mark(), f.path + ": " + f.quoted() + " is not " + what);
  else
    out = *s;
}

// An unquoted integer in [LO, HI].
void read_int(Problems& p, const Field& f, int& out, int lo, int hi) {
  static const std::regex digits("[0-9]{1,7}");
  auto s = read_string(p, f);
  if (!s) return;
  if (f.value.Tag() == "!" || !std::regex_match(*s, digits) || std::stoi(*s) < lo || std::stoi(*s) > hi)
    p.add(f.mark(), f.path + ": expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                        ", got " + f.quoted());
  else
    out = std::stoi(*s);
}

// A duration of whole seconds in [LO, HI] seconds (ECS counts seconds).
void read_seconds(Problems& p, const Field& f, Millis& out, int lo, int hi) {
  auto d = read_duration(p, f);
  if (!d) return;
  if (d->count() % 1000 != 0)
    p.add(f.mark(), f.path + ": " + format_duration(*d) + " is not whole seconds (ECS counts seconds)");
  else if (*d < Millis(lo * 1000) || *d > Millis(hi * 1000))
    p.add(f.mark(), f.path + ": " + format_duration(*d) + " is out of ECS's range, " + std::to_string(lo) + "s to " +
                        std::to_string(hi) + "s");
  else
    out = *d;
}

// The memory (MiB) Fargate allows with CPU units, as "512, 1024 or 2048" / "1024 to 4096 in steps of 1024".
struct FargateSize {
  int cpu, min, max, step;
};
const std::vector<FargateSize> kFargate{{256, 512, 2048, 512},       {512, 1024, 4096, 1024},
                                        {1024, 2048, 8192, 1024},    {2048, 4096, 16384, 1024},
                                        {4096, 8192, 30720, 1024},   {8192, 16384, 61440, 4096},
                                        {16384, 32768, 122880, 8192}};

void check_fargate_size(Problems& p, const MapFields& fields, const Field& section, const EcsSpec& e) {
  auto at = [&](const char* key) { auto v = fields.get(key); return v ? v->mark() : section.key.Mark(); };
  for (const auto& s : kFargate) {
    if (s.cpu != e.cpu) continue;
    bool ok = e.memory >= s.min && e.memory <= s.max && (e.memory - s.min) % s.step == 0;
    // 256 CPU units: 512, 1024 or 2048 (not 1536).
    if (s.cpu == 256) ok = e.memory == 512 || e.memory == 1024 || e.memory == 2048;
    if (!ok)
      p.add(at("memory"), "ecs.memory: Fargate runs " + std::to_string(e.cpu) + " CPU units with " +
                              (s.cpu == 256 ? std::string("512, 1024 or 2048")
                                            : std::to_string(s.min) + " to " + std::to_string(s.max) + " MiB in steps of " +
                                                  std::to_string(s.step)) +
                              " MiB, not " + std::to_string(e.memory));
    return;
  }
  p.add(at("cpu"), "ecs.cpu: Fargate takes 256, 512, 1024, 2048, 4096, 8192 or 16384 CPU units, not " +
                       std::to_string(e.cpu) + " (launch_type: EC2 takes any)");
}

std::string agent_region(const Descriptor& desc) {
  if (desc.agent) return desc.agent->region;
  const auto& c = desc.xray.config;
  return c.contains("Region") && c["Region"].is_string() ? c["Region"].get<std::string>() : "";
}

}  // namespace

void read_ecs(Problems& p, const Field* f, const Descriptor& desc, EcsSpec& out) {
  out.family = desc.service.name;
  out.log_group = "/ecs/" + desc.service.name;
  out.log_stream_prefix = desc.service.name;
  out.log_region = agent_region(desc);
  // The agent has ready_timeout to become ready: the health check's grace.
  out.health_start_period = Millis(std::min<int64_t>(300, (agent_basics(desc).ready_timeout.count() + 999) / 1000) * 1000);
  if (!f) return;
  out.written = true;
  MapFields fields(p, *f, kEcsKeys);
  if (!fields.ok()) return;
  static const std::regex family("[A-Za-z0-9_-]{1,255}");
  static const std::regex role("arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}");
  if (auto v = fields.get("family"))
    read_pattern(p, *v, out.family, family, "a task definition family (up to 255 letters, digits, - and _)");
  if (auto v = fields.get("launch_type")) {
    if (auto s = read_string(p, *v)) {
      if (*s == "FARGATE" || *s == "EC2")
        out.launch_type = *s;
      else
        p.add(v->mark(), v->path + ": " + v->quoted() + " is not FARGATE or EC2");
    }
  }
  if (auto v = fields.get("cpu")) read_int(p, *v, out.cpu, 128, 196608);
  if (auto v = fields.get("memory")) read_int(p, *v, out.memory, 6, 1048576);
  if (auto v = fields.get("execution_role_arn"))
    read_pattern(p, *v, out.execution_role_arn, role, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)");
  if (auto v = fields.get("task_role_arn"))
    read_pattern(p, *v, out.task_role_arn, role, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)");
  if (auto logs = fields.get("logs")) {
    MapFields l(p, *logs, kEcsLogsKeys);
    static const std::regex group("[A-Za-z0-9._/#-]{1,512}");
    static const std::regex prefix("[^:*\n]{1,512}");
    if (auto v = l.get("group")) read_pattern(p, *v, out.log_group, group, "a log group name (letters, digits, . _ - / #)");
    if (auto v = l.get("region")) read_pattern(p, *v, out.log_region, kRegion, "an AWS region such as us-east-2");
    if (auto v = l.get("stream_prefix"))
      read_pattern(p, *v, out.log_stream_prefix, prefix, "a log stream prefix (no : or *)");
  }
  if (out.log_region.empty())
    p.add(f->key.Mark(), "ecs: the awslogs log configuration needs a region: set ecs.logs.region (or " +
                             std::string(desc.agent ? "agent.region" : "xray.config.Region") + ")");
  if (auto hc = fields.get("health_check")) {
    MapFields h(p, *hc, kEcsHealthKeys);
    if (auto v = h.get("interval")) read_seconds(p, *v, out.health_interval, 5, 300);
    if (auto v = h.get("timeout")) read_seconds(p, *v, out.health_timeout, 2, 60);
    if (auto v = h.get("start_period")) read_seconds(p, *v, out.health_start_period, 0, 300);
    if (auto v = h.get("retries")) read_int(p, *v, out.health_retries, 1, 10);
  }
  if (out.launch_type == "FARGATE") check_fargate_size(p, fields, *f, out);
}

}  // namespace xb
