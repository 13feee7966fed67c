// service.base and other paths written in the descriptor, which are relative
// to the descriptor's directory (not to the current directory).
#include <filesystem>

#include "descriptor/descriptor.h"
#include "oci/layout.h"

namespace xb {

std::string resolve_path(const Descriptor& desc, std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(desc.dir.empty() ? "." : desc.dir) / p;
  return std::filesystem::absolute(p).lexically_normal().string();
}

BaseRef parse_base(const Descriptor& desc) {
  BaseRef ref;
  std::string_view base = desc.service.base;
  if (!oci::is_layout_reference(base)) {
    ref.reference = std::string(base);
    return ref;
  }
  ref.oci_layout = true;
  oci::LayoutReference layout = oci::parse_layout_reference(base);
  ref.tag = layout.tag;
  std::string_view rest = layout.dir;
  ref.dir = resolve_path(desc, rest);
  if (ref.dir.size() > 1 && ref.dir.back() == '/') ref.dir.pop_back();
  return ref;
}

}  // namespace xb
