// "Did you mean ...?" for unknown keys and values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xb {

// Levenshtein distance, ignoring case.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to WORD when it is plausibly a typo of it (a few
// edits, or a prefix either way); nullopt otherwise.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace xb
