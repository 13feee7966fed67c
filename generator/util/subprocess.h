// Running a helper program with text on stdin, collecting stdout and stderr
// (credential helpers, the child builds of a fleet). No shell is involved.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
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

// A child that is a fork of this process, without exec: it runs BODY with
// stdin from /dev/null and stdout and stderr into OUT and ERR (the parent's
// ends of two pipes, close-on-exec), then _exit()s with what BODY returned
// (1 when it threw). It starts with SIGTERM, SIGINT, SIGHUP and SIGPIPE at
// their defaults and no signal blocked, whatever the parent installed. No
// exec means no dynamic linking and the parent's memory as it was (what it
// verified, what it parsed): a fleet's builds start in well under a
// millisecond. Call it from a single-threaded process: only the calling
// thread exists in the child. CLOSE: descriptors the child must not keep
// (without exec, close-on-exec closes nothing: the other children's pipes).
// Throws xb::Error(runtime) when pipes or fork fail.
struct ForkedChild {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};
ForkedChild fork_child(const std::function<int()>& body, const std::vector<int>& close = {});

// Waits for PID (restarting on EINTR): its exit status, or 128 + N when signal N killed it.
int wait_exit_status(pid_t pid);

}  // namespace xb
