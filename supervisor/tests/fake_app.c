/* A stand-in app for the supervisor's tests. Options, applied in this order:
 *   --log FILE        log events (start, signals, exit) to FILE
 *   --check-udp PORT  log "udp_taken 1" if 127.0.0.1:PORT is already bound
 *   --orphans N       leave N orphaned grandchildren that exit after --orphan-ms
 *   --catch           catch every signal and log it ("catching" once they are
 *                     blocked: a test sends signals only after that); SIGTERM/
 *                     SIGINT end the app after --term-delay MS unless --ignore-term
 *   --signal-parent-then-stop SIG  (with --catch) once catching, send SIG to
 *                     the parent and stop itself at once (SIGSTOP)
 *   --sleep MS        run this long (default: exit at once; -1: forever)
 *   --raise SIG       then kill itself with SIG
 *   --exit N          then exit with N */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "fake_log.h"

int main(int argc, char **argv) {
  long exit_code = 0, sleep_for = 0, term_delay = 0, orphans = 0, orphan_ms = 500;
  int catch_all = 0, ignore_term = 0, raise_sig = 0, check_port = 0, parent_sig = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--catch")) catch_all = 1;
    else if (!strcmp(a, "--ignore-term")) ignore_term = 1;
    else if (!v) { fprintf(stderr, "fake_app: bad argument %s\n", a); return 64; }
    else if (i++, !strcmp(a, "--log")) fake_log_path = v;
    else if (!strcmp(a, "--exit")) exit_code = atol(v);
    else if (!strcmp(a, "--sleep")) sleep_for = atol(v);
    else if (!strcmp(a, "--term-delay")) term_delay = atol(v);
    else if (!strcmp(a, "--raise")) raise_sig = atoi(v);
    else if (!strcmp(a, "--orphans")) orphans = atol(v);
    else if (!strcmp(a, "--orphan-ms")) orphan_ms = atol(v);
    else if (!strcmp(a, "--check-udp")) check_port = atoi(v);
    else if (!strcmp(a, "--signal-parent-then-stop")) parent_sig = atoi(v);
    else { fprintf(stderr, "fake_app: bad argument %s\n", a); return 64; }
  }
  fake_log("start", getppid());
  if (check_port) {
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(check_port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int taken = bind(s, (struct sockaddr *)&addr, sizeof addr) < 0 && errno == EADDRINUSE;
    close(s);
    fake_log("udp_taken", taken);
  }
  for (long i = 0; i < orphans; i++) {
    pid_t mid = fork();
    if (mid == 0) {
      pid_t grandchild = fork();
      if (grandchild == 0) { sleep_ms(orphan_ms); _exit(0); }
      fake_log("orphan", grandchild);
      _exit(0);
    }
    waitpid(mid, NULL, 0);
  }
  if (catch_all) {  /* blocked + signalfd, so /proc shows them blocked */
    /* Every signal, 32-34 too: glibc's and musl's sigfillset and sigprocmask
     * leave out their internal ones, the raw system call does not. */
    sigset_t all;
    memset(&all, 0xff, sizeof all);
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8) < 0) { perror("fake_app: rt_sigprocmask"); return 65; }
    int sfd = signalfd(-1, &all, SFD_CLOEXEC);
    if (sfd < 0) { perror("fake_app: signalfd"); return 65; }
    fake_log("catching", 0);
    if (parent_sig) {
      kill(getppid(), parent_sig);
      kill(getpid(), SIGSTOP);
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
      int timeout = -1;
      if (sleep_for >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = sleep_for - ((now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) break;
        timeout = (int)left;
      }
      struct pollfd pfd = { .fd = sfd, .events = POLLIN };
      struct signalfd_siginfo si;
      if (poll(&pfd, 1, timeout) <= 0 || read(sfd, &si, sizeof si) != sizeof si) continue;
      int sig = (int)si.ssi_signo;
      fake_log("signal", sig);
      if ((sig == SIGTERM || sig == SIGINT) && !ignore_term) {
        sleep_ms(term_delay);
        break;
      }
    }
  } else if (sleep_for < 0) {
    for (;;) pause();
  } else {
    sleep_ms(sleep_for);
  }
  if (raise_sig) {
    fake_log("raise", raise_sig);
    signal(raise_sig, SIG_DFL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, raise_sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    kill(getpid(), raise_sig);
  }
  fake_log("exit", exit_code);
  return (int)exit_code;
}
