// A unified diff of two texts, line by line, as `diff -u` prints it (3
// lines of context, "\ No newline at end of file"), so that `patch -p0` and
// `git apply` take it. The edit script comes from dtl (libdtl-dev).
#pragma once

#include <string>
#include <string_view>

namespace xb::migrate {

// Empty when BEFORE and AFTER are equal. PATH names both sides.
std::string unified_diff(std::string_view before, std::string_view after, const std::string& path);

}  // namespace xb::migrate
