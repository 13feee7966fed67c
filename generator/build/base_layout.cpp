#include "build/base_layout.h"

#include "registry/pull.h"
#include "util/error.h"

namespace xb::build {


BaseLayout base_layout(const Descriptor& desc, const registry::RegistryOptions& options) {
  BaseRef ref = parse_base(desc);
  if (ref.oci_layout) return local_base_layout(desc);
  try {
    registry::PullResult pulled = registry::pull(ref.reference, desc.service.platforms, options);
    return {pulled.layout_dir, pulled.tag};
  } catch (const Error& e) {
    throw Error(e.code(), desc.path + ": service.base: " + e.what(), e.hint());
  }
}

}  // namespace xb::build
