// Reading the two sections of the descriptor (private to descriptor/).
#pragma once

#include "descriptor/fields.h"

namespace xb {

// DESC gives the descriptor's directory, against which service.files resolve.
void read_service(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out);
// service.files and service.exclude (app_files.cpp).
void read_app_files(Problems& p, const Field& f, const Descriptor& desc, ServiceSpec& out);
void read_exclude(Problems& p, const Field& f, ServiceSpec& out);
// DESC gives the descriptor's directory, against which signing_key resolves.
void read_xray(Problems& p, const Field& f, const Descriptor& desc, XraySpec& out);
void read_agent(Problems& p, const Field& f, const Descriptor& desc, AgentSpec& out);

// The keys xray: and agent: share (xray_section.cpp).
void read_agent_url(Problems& p, const Field& f, AgentBasics& out);
void read_agent_sha256(Problems& p, const Field& f, AgentBasics& out);
// args, log, flush_grace, ready_timeout, restart: how the supervisor runs the agent.
void read_agent_run_keys(Problems& p, const MapFields& fields, AgentBasics& out);
void read_agent_signing_key(Problems& p, const Field& f, const Descriptor& desc, AgentBasics& out);

}  // namespace xb
