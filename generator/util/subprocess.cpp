#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "util/error.h"

extern char** environ;

namespace xb {

SubprocessResult run_subprocess(const std::vector<std::string>& argv, const std::string& input,
                                std::atomic<pid_t>* running) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    fail_runtime(std::string("cannot create pipes: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  SubprocessResult result;
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    result.exit_code = 127;
    result.err = std::strerror(rc);
    return result;
  }
  if (running) running->store(pid);
  // A helper that exits without reading stdin must not kill us with SIGPIPE.
  // Only then: the disposition is the process's, and concurrent callers (the
  // fleet's, which write nothing) would leave it ignored.
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  if (!input.empty()) ::sigaction(SIGPIPE, &ignore, &old);
  size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) ::close(in_fd), in_fd = -1;
  bool out_open = true, err_open = true;
  while (out_open || err_open || in_fd >= 0) {
    pollfd fds[3] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    char buf[4096];
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out_open : err_open) = false;
      }
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EINTR && errno != EAGAIN) written = input.size();
      if (written >= input.size()) ::close(in_fd), in_fd = -1;
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (!input.empty()) ::sigaction(SIGPIPE, &old, nullptr);
  // Its output closed: it is ending. Not signalled after this, so a pid
  // reaped below and reused by another process is never killed.
  if (running) running->store(0);
  result.exit_code = wait_exit_status(pid);
  return result;
}

int wait_exit_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail_runtime("cannot wait for process " + std::to_string(pid) + ": " + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ForkedChild fork_child(const std::function<int()>& body, const std::vector<int>& close) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail_runtime(std::string("cannot create a pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    fail_runtime(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  // Nothing buffered here may be written twice, once by each process.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    fail_runtime(std::string("cannot fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(127);
    for (int fd : {null, out[0], out[1], err[0], err[1]})
      if (fd > 2) ::close(fd);  // one of them may be 0, 1 or 2 when the parent had those closed
    for (int fd : close) ::close(fd);
    int code = 1;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
    } catch (...) {
      std::cerr << "error: an unknown exception\n";
    }
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::_exit(code);  // not exit(): the parent's atexit handlers and static objects are the parent's
  }
  ::close(out[1]);
  ::close(err[1]);
  return {pid, out[0], err[0]};
}

}  // namespace xb
