#include "util/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace xb::log {

static Level g_level = Level::normal;

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

bool interactive() {
  const char* ci = std::getenv("CI");
  if (ci && *ci && std::strcmp(ci, "false") != 0 && std::strcmp(ci, "0") != 0) return false;
  return ::isatty(STDERR_FILENO) == 1;
}

static void emit(std::string_view prefix, std::string_view message) {
  std::string line;
  line.reserve(prefix.size() + message.size() + 1);
  line.append(prefix).append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void info(std::string_view m) {
  if (g_level >= Level::normal) emit("", m);
}
void verbose(std::string_view m) {
  if (g_level >= Level::verbose) emit("", m);
}
void warn(std::string_view m) {
  if (g_level >= Level::normal) emit("warning: ", m);
}
void error(std::string_view m) { emit("error: ", m); }

}  // namespace xb::log
