#include "util/error.h"

namespace xb {

std::string Diagnostic::str() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (column > 0) out += ":" + std::to_string(column);
    }
    out += ": ";
  }
  return out + message;
}

static std::string join(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    if (!out.empty()) out += "\n";
    out += d.str();
  }
  return out;
}

Error::Error(ExitCode code, std::string message, std::string hint)
    : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

Error::Error(ExitCode code, std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join(diagnostics)), code_(code), diagnostics_(std::move(diagnostics)) {}

void fail_input(std::string message, std::string hint) {
  throw Error(ExitCode::bad_input, std::move(message), std::move(hint));
}

void fail_runtime(std::string message, std::string hint) {
  throw Error(ExitCode::runtime, std::move(message), std::move(hint));
}

}  // namespace xb
