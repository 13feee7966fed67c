#include "fetch/url.h"

#include <cstdlib>

namespace xb {

std::string expand_url(std::string_view tmpl, std::string_view region, std::string_view arch,
                       std::string_view version) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (size_t i = 0; i < tmpl.size();) {
    auto try_sub = [&](std::string_view key, std::string_view value) {
      if (tmpl.substr(i, key.size()) != key) return false;
      out.append(value);
      i += key.size();
      return true;
    };
    if (tmpl[i] == '{' &&
        (try_sub("{region}", region) || try_sub("{arch}", arch) || try_sub("{version}", version)))
      continue;
    out.push_back(tmpl[i++]);
  }
  return out;
}

std::string descriptor_url(const agents::Package& pkg, std::string_view arch) {
  return expand_url(pkg.url, pkg.region, arch, pkg.version);
}

std::string download_url(const agents::Package& pkg, std::string_view arch) {
  const char* mirror = pkg.mirror_env.empty() ? nullptr : std::getenv(pkg.mirror_env.c_str());
  if (mirror && *mirror) return expand_url(mirror, pkg.region, arch, pkg.version);
  return descriptor_url(pkg, arch);
}

}  // namespace xb
