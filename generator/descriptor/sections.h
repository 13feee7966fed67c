// Reading the two sections of the descriptor (private to descriptor/).
#pragma once

#include "descriptor/fields.h"

namespace xb {

void read_service(Problems& p, const Field& f, ServiceSpec& out);
// DESC gives the descriptor's directory, against which signing_key resolves.
void read_xray(Problems& p, const Field& f, const Descriptor& desc, XraySpec& out);

}  // namespace xb
