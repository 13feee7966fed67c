// Running a helper program with text on stdin, collecting stdout and stderr
// (credential helpers, the child builds of a fleet). No shell is involved.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <vector>

namespace xb {

struct SubprocessResult {
  int exit_code = 0;  // 127 when the program could not be started
  std::string out;
  std::string err;
};

// Looks ARGV[0] up on PATH. Throws xb::Error(runtime) only when pipes or fork fail.
// RUNNING, when given, holds the child's pid while it may still be running
// (from the spawn until its stdout and stderr close) and 0 otherwise: what a
// signal handler may kill() (the fleet forwards SIGTERM to its builds with it).
SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& input,
                                std::atomic<pid_t>* running = nullptr);

}  // namespace xb
