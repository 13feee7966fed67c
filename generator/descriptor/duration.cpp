// Durations as design.md writes them: a number and a unit (ms, s, m),
// possibly several in a row ("1m30s").
#include <cctype>
#include <cmath>

#include "descriptor/descriptor.h"

namespace xb {

std::optional<Millis> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::string_view number = text.substr(start, i - start);
    if (number.empty() || number.front() == '.' || number.back() == '.' ||
        number.find('.') != number.rfind('.') || number.size() > 12)
      return std::nullopt;
    double value = std::stod(std::string(number));
    double scale;
    if (text.substr(i, 2) == "ms") {
      scale = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      scale = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      scale = 60000;
      ++i;
    } else {
      return std::nullopt;
    }
    total += value * scale;
  }
  if (total > 1e12) return std::nullopt;
  return Millis(static_cast<int64_t>(std::llround(total)));
}

std::string format_duration(Millis d) {
  int64_t ms = d.count();
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace xb
