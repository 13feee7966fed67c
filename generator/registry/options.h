// What every registry operation needs to know besides the reference.
#pragma once

#include <string>
#include <vector>

namespace xb::registry {

struct RegistryOptions {
  std::string cache_dir;                         // blobs by digest, where blobs were pushed
  std::vector<std::string> insecure_registries;  // --insecure-registry HOST[:PORT]: plain HTTP or unverified TLS
  // Extra CA bundle (PEM). Empty: $XRAYBAKE_CA_BUNDLE, $SSL_CERT_FILE, then
  // /etc/docker/certs.d/HOST/ca.crt as docker does, then the system's.
  std::string ca_file;
  bool offline = false;           // pull: cache only
  uint64_t chunk_size = 8 << 20;  // push: bytes per PATCH
  // Retries, timeouts and limits: NetSettings (http/net_settings.h), from the environment.
};

}  // namespace xb::registry
