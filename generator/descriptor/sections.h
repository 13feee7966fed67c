// Reading the two sections of the descriptor (private to descriptor/).
#pragma once

#include <string>
#include <vector>

#include "descriptor/fields.h"

namespace xb {

// The keys each mapping of the descriptor takes, in the order --help and
// messages list them (templates/xraybake.schema.json names the same ones).
extern const std::vector<std::string> kTopKeys;
extern const std::vector<std::string> kServiceKeys;
extern const std::vector<std::string> kFileKeys;
extern const std::vector<std::string> kXrayKeys;
extern const std::vector<std::string> kAgentKeys;
extern const std::vector<std::string> kReceiverKeys;
extern const std::vector<std::string> kEcsKeys;
extern const std::vector<std::string> kEcsLogsKeys;
extern const std::vector<std::string> kEcsHealthKeys;

// DESC gives the descriptor's directory, against which service.files resolve.
void read_service(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out);
// service.files and service.exclude (app_files.cpp).
void read_app_files(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out);
void read_exclude(Problems& p, const Field& f, ServiceSpec& out);
// DESC gives the descriptor's directory, against which signing_key resolves.
void read_xray(Problems& p, const Field& f, const Descriptor& desc, XraySpec& out);
void read_agent(Problems& p, const Field& f, const Descriptor& desc, AgentSpec& out);
// After service: and the agent's section: its defaults come from them (ecs_section.cpp).
void read_ecs(Problems& p, const Field* f, const Descriptor& desc, EcsSpec& out);

// The keys xray: and agent: share (xray_section.cpp).
void read_agent_url(Problems& p, const Field& f, AgentBasics& out);
void read_agent_sha256(Problems& p, const Field& f, AgentBasics& out);
// args, log, flush_grace, ready_timeout, restart: how the supervisor runs the agent.
void read_agent_run_keys(Problems& p, const MapFields& fields, AgentBasics& out);
void read_agent_signing_key(Problems& p, const Field& f, const Descriptor& desc, AgentBasics& out);

}  // namespace xb
