// A self-signed certificate for a test HTTPS server, made with the OpenSSL API
// at run time (nothing checked in that could expire): valid for "localhost"
// and 127.0.0.1, marked CA:TRUE so its PEM doubles as the client's CA bundle.
#pragma once

#include "support/http_server.h"

namespace xb::test {

TlsIdentity make_self_signed_cert();

}  // namespace xb::test
