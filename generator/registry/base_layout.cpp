#include "registry/base_layout.h"

#include "registry/pull.h"
#include "util/error.h"

namespace xb::registry {

oci::BaseLayout base_layout(const Descriptor& desc, const RegistryOptions& options) {
  BaseRef ref = parse_base(desc);
  if (ref.oci_layout) return oci::local_base_layout(desc);
  try {
    PullResult pulled = pull(ref.reference, desc.service.platforms, options);
    return {pulled.layout_dir, pulled.tag};
  } catch (const Error& e) {
    throw Error(e.code(), desc.path + ": service.base: " + e.what(), e.hint());
  }
}

}  // namespace xb::registry
