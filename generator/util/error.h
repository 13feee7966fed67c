// One error type for the whole tool: what went wrong, where (file, line,
// column, key or URL), what to do, and which exit status it maps to.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace xb {

enum class ExitCode : int {
  ok = 0,
  runtime = 1,    // network, registry, I/O
  bad_input = 2,  // descriptor, flags, a package that fails verification
};

// A position in an input file. line and column are 1-based; 0 means unknown.
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  // "FILE:LINE:COL: message" (parts that are unknown are left out).
  std::string str() const;
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string message, std::string hint = {});
  Error(ExitCode code, std::vector<Diagnostic> diagnostics);

  ExitCode code() const { return code_; }
  // What to do about it, one sentence; may be empty.
  const std::string& hint() const { return hint_; }
  // Positioned errors (descriptor validation); empty for plain errors.
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  ExitCode code_;
  std::string hint_;
  std::vector<Diagnostic> diagnostics_;
};

// Shorthands for the two kinds.
[[noreturn]] void fail_input(std::string message, std::string hint = {});
[[noreturn]] void fail_runtime(std::string message, std::string hint = {});

}  // namespace xb
