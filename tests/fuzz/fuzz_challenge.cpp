// libFuzzer target: the registry's WWW-Authenticate parser on arbitrary header
// values (one per line of the input), as a hostile registry would send them.
// Any exception, crash or sanitizer report is a finding; whatever it picks
// must be one of the challenges it parsed, with a lowercase scheme.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "registry/challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> values;
  for (size_t start = 0; start <= text.size();) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    values.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  auto all = xb::registry::parse_challenges(values);
  for (const auto& c : all)
    for (char ch : c.scheme)
      if (ch >= 'A' && ch <= 'Z') abort();
  auto picked = xb::registry::pick_challenge(values);
  if (picked && picked->scheme != "bearer" && picked->scheme != "basic") abort();
  return 0;
}
