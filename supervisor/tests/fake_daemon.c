/* A stand-in for the X-Ray daemon: binds a UDP address (optionally late),
 * logs every signal it gets, and on SIGTERM/SIGINT "flushes" then exits 0.
 *   fake_daemon --log FILE [--bind HOST:PORT] [--bind-delay MS] [--flush MS] [--ignore-term] */
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "fake_log.h"

int main(int argc, char **argv) {
  const char *bind_to = NULL;
  long bind_delay = 0, flush = 0;
  int ignore_term = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--log") && i + 1 < argc) fake_log_path = argv[++i];
    else if (!strcmp(argv[i], "--bind") && i + 1 < argc) bind_to = argv[++i];
    else if (!strcmp(argv[i], "--bind-delay") && i + 1 < argc) bind_delay = atol(argv[++i]);
    else if (!strcmp(argv[i], "--flush") && i + 1 < argc) flush = atol(argv[++i]);
    else if (!strcmp(argv[i], "--ignore-term")) ignore_term = 1;
    else { fprintf(stderr, "fake_daemon: bad argument %s\n", argv[i]); return 64; }
  }
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  fake_log("start", 0);
  long long bind_at = bind_to ? bind_delay : -1;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    siginfo_t si;
    int sig;
    if (bind_at >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long long left = bind_at - ((now.tv_sec - t0.tv_sec) * 1000LL + (now.tv_nsec - t0.tv_nsec) / 1000000);
      if (left <= 0) {
        char host[64];
        const char *colon = strrchr(bind_to, ':');
        snprintf(host, sizeof host, "%.*s", (int)(colon - bind_to), bind_to);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = a.sin_port };
        int v6 = host[0] == '[';  /* [::1]:2000 */
        if (v6) host[strlen(host) - 1] = 0;
        int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
        int ok = v6 ? inet_pton(AF_INET6, host + 1, &a6.sin6_addr) : inet_pton(AF_INET, host, &a.sin_addr);
        if (s < 0 || ok != 1 ||
            (v6 ? bind(s, (struct sockaddr *)&a6, sizeof a6) : bind(s, (struct sockaddr *)&a, sizeof a)) < 0) {
          perror("fake_daemon: bind");
          return 65;
        }
        fake_log("bound", atoi(colon + 1));
        bind_at = -1;
        continue;
      }
      struct timespec to = { left / 1000, (left % 1000) * 1000000L };
      sig = sigtimedwait(&all, &si, &to);
      if (sig < 0) continue;
    } else {
      sig = sigwaitinfo(&all, &si);
      if (sig < 0) continue;
    }
    fake_log("signal", sig);
    if ((sig == SIGTERM || sig == SIGINT) && !ignore_term) {
      sleep_ms(flush);
      fake_log("exit", 0);
      return 0;
    }
  }
}
