// Running a helper program with text on stdin, collecting stdout and stderr
// (credential helpers, the child builds of a fleet). No shell is involved.
#pragma once

#include <string>
#include <vector>

namespace xb {

struct SubprocessResult {
  int exit_code = 0;  // 127 when the program could not be started
  std::string out;
  std::string err;
};

// Looks ARGV[0] up on PATH. Throws xb::Error(runtime) only when pipes or fork fail.
SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& input);

}  // namespace xb
