// Console output: errors and warnings on stderr, progress only on a terminal,
// one plain line per step otherwise (CI), nothing but errors with --quiet,
// debug lines too with --verbose.
#pragma once

#include <string_view>

namespace xb::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };

void set_level(Level level);
Level level();

// True when stderr is a terminal and not in CI (CI=true): live progress allowed.
bool interactive();

void info(std::string_view message);     // normal and verbose
void verbose(std::string_view message);  // verbose only
void warn(std::string_view message);     // normal and verbose, "warning: " prefixed
void error(std::string_view message);    // always, "error: " prefixed

}  // namespace xb::log
