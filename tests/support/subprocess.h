// Runs a program and collects its exit status, stdout and stderr (for tests
// that drive the real xraybake binary and real tools).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xb::test {

struct RunResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;
  std::string err;
};

// argv[0] is looked up in PATH. env entries are set (or, with an empty
// value, unset) on top of this process's environment. Throws when the
// program can't be started.
RunResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                      const std::string& cwd = "");

}  // namespace xb::test
