// The agent .deb's URL: the descriptor's url (or the kind's mirror variable,
// XRAYBAKE_DAEMON_URL for the X-Ray daemon: the mirror of an air-gapped CI)
// with {region} {arch} {version} expanded.
#pragma once

#include "util/redact.h"  // redact_url: what the lock and the cache index record

#include <string>
#include <string_view>

#include "agents/agent.h"

namespace xb {

// TEMPLATE with every {region}, {arch} and {version} replaced. An unknown
// {placeholder} is left alone (it may be part of a mirror's path).
std::string expand_url(std::string_view tmpl, std::string_view region, std::string_view arch,
                       std::string_view version);

// The package's url expanded for ARCH: the canonical URL, recorded in xraybake.lock.
std::string descriptor_url(const agents::Package& pkg, std::string_view arch);

// Where to download from: the mirror variable when set, else the url; expanded.
std::string download_url(const agents::Package& pkg, std::string_view arch);

}  // namespace xb
