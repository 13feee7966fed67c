/* A stand-in for the agent (the X-Ray daemon, a collector): binds a UDP
 * address and listens on a TCP one (each optionally late), serves HTTP on the
 * TCP one (503, then 200 once --http-200-after has passed), logs every signal
 * it gets, and on SIGTERM/SIGINT "flushes" then exits 0.
 *   fake_daemon --log FILE [--bind HOST:PORT] [--bind-delay MS]
 *               [--listen HOST:PORT] [--listen-delay MS] [--http-200-after MS]
 *               [--env NAME] [--flush MS] [--ignore-term]
 * Events: start, bound PORT, listening PORT, healthy 0 (logged before the
 * first 200), http STATUS (each answer), env 0/1 (whether NAME is set),
 * signal N, exit 0. */
#define _GNU_SOURCE  /* accept4 */
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include "fake_log.h"

static long long elapsed_ms(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t0->tv_sec) * 1000LL + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A socket of `type` bound to HOST:PORT or [IPv6]:PORT (listening for TCP). */
static int open_socket(const char *addr, int type) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
  struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = a.sin_port };
  int v6 = host[0] == '[';  /* [::1]:2000 */
  if (v6) host[strlen(host) - 1] = 0;
  int s = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
  int ok = v6 ? inet_pton(AF_INET6, host + 1, &a6.sin6_addr) : inet_pton(AF_INET, host, &a.sin_addr);
  if (s < 0 || ok != 1 || (type == SOCK_STREAM && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
      (v6 ? bind(s, (struct sockaddr *)&a6, sizeof a6) : bind(s, (struct sockaddr *)&a, sizeof a)) < 0 ||
      (type == SOCK_STREAM && listen(s, 16) < 0)) {
    perror("fake_daemon: bind");
    exit(65);
  }
  fake_log(type == SOCK_STREAM ? "listening" : "bound", atoi(colon + 1));
  return s;
}

/* One request: read up to the blank line (or 2 s), answer, close. */
static void serve(int listener, int healthy) {
  int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  char buf[2048];
  size_t have = 0;
  struct pollfd pfd = { .fd = c, .events = POLLIN };
  while (have < sizeof buf - 1 && poll(&pfd, 1, 2000) > 0) {
    ssize_t n = read(c, buf + have, sizeof buf - 1 - have);
    if (n <= 0) break;
    have += n;
    buf[have] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
  int status = healthy ? 200 : 503;
  char reply[128];
  int n = snprintf(reply, sizeof reply, "HTTP/1.0 %d %s\r\nContent-Length: 2\r\n\r\nok", status,
                   healthy ? "OK" : "Service Unavailable");
  if (send(c, reply, n, MSG_NOSIGNAL) == n) fake_log("http", status);
  close(c);
}

int main(int argc, char **argv) {
  const char *bind_to = NULL, *listen_to = NULL, *env = NULL;
  long bind_delay = 0, listen_delay = 0, healthy_after = 0, flush = 0;
  int ignore_term = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--ignore-term")) ignore_term = 1;
    else if (!v) { fprintf(stderr, "fake_daemon: bad argument %s\n", a); return 64; }
    else if (i++, !strcmp(a, "--log")) fake_log_path = v;
    else if (!strcmp(a, "--bind")) bind_to = v;
    else if (!strcmp(a, "--bind-delay")) bind_delay = atol(v);
    else if (!strcmp(a, "--listen")) listen_to = v;
    else if (!strcmp(a, "--listen-delay")) listen_delay = atol(v);
    else if (!strcmp(a, "--http-200-after")) healthy_after = atol(v);
    else if (!strcmp(a, "--env")) env = v;
    else if (!strcmp(a, "--flush")) flush = atol(v);
    else { fprintf(stderr, "fake_daemon: bad argument %s\n", a); return 64; }
  }
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) { perror("fake_daemon: signalfd"); return 65; }
  fake_log("start", 0);
  if (env) fake_log("env", getenv(env) != NULL);
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int udp = -1, tcp = -1, healthy = 0;
  for (;;) {
    long long now = elapsed_ms(&t0), next = -1;
    if (bind_to && udp < 0 && now >= bind_delay) udp = open_socket(bind_to, SOCK_DGRAM);
    if (listen_to && tcp < 0 && now >= listen_delay) tcp = open_socket(listen_to, SOCK_STREAM);
    if (tcp >= 0 && !healthy && now >= healthy_after) fake_log("healthy", 0), healthy = 1;
    if (bind_to && udp < 0) next = bind_delay;
    if (listen_to && tcp < 0 && (next < 0 || listen_delay < next)) next = listen_delay;
    if (tcp >= 0 && !healthy && (next < 0 || healthy_after < next)) next = healthy_after;
    struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN }, { .fd = tcp, .events = POLLIN } };
    int r = poll(pfd, tcp >= 0 ? 2 : 1, next < 0 ? -1 : next > now ? (int)(next - now) : 0);
    if (r <= 0) continue;
    if (tcp >= 0 && (pfd[1].revents & POLLIN)) serve(tcp, healthy);
    struct signalfd_siginfo si;
    if (!(pfd[0].revents & POLLIN) || read(sfd, &si, sizeof si) != sizeof si) continue;
    int sig = (int)si.ssi_signo;
    fake_log("signal", sig);
    if ((sig == SIGTERM || sig == SIGINT) && !ignore_term) {
      sleep_ms(flush);
      fake_log("exit", 0);
      return 0;
    }
  }
}
