// The daemon .deb's URL: xray.url (or XRAYBAKE_DAEMON_URL, the mirror of an
// air-gapped CI) with {region} {arch} {version} expanded.
#pragma once

#include <string>
#include <string_view>

#include "descriptor/descriptor.h"

namespace xb {

// TEMPLATE with every {region}, {arch} and {version} replaced. An unknown
// {placeholder} is left alone (it may be part of a mirror's path).
std::string expand_url(std::string_view tmpl, std::string_view region, std::string_view arch,
                       std::string_view version);

// xray.url expanded for ARCH: the canonical URL, recorded in xraybake.lock.
std::string descriptor_url(const XraySpec& xray, std::string_view arch);

// Where to download from: XRAYBAKE_DAEMON_URL when set, else xray.url; expanded.
std::string download_url(const XraySpec& xray, std::string_view arch);

}  // namespace xb
