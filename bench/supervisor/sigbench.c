/* Measures one init (xraybake-init, tini, dumb-init) running this program as
 * its app:
 *   sigbench SIGNALS STARTS -- INIT [ARGS...]
 * prints one line: start_median_us start_p99_us fwd_median_us fwd_p99_us
 *                  peak_rss_kb idle_wakeups_per_3s
 *  - start: fork of INIT to the first instruction of the app's main (STARTS runs);
 *  - fwd: kill(INIT, SIGUSR1) until the app has it (SIGNALS round trips);
 *  - peak RSS: the init's VmHWM after start-up and all the signals;
 *  - idle wake-ups: the init's context switches over 3 idle seconds.
 * With INIT "none" the app is exec'd directly (the baseline for start).
 * The app side ("sigbench app FD MODE") reports over an inherited pipe. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void full_read(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("read from the app");
    p += r;
    n -= r;
  }
}

/* The app: "start" reports its start time and exits; "echo" answers every
 * SIGUSR1 with a byte and exits on SIGTERM. */
static int app(int fd, const char *mode) {
  long long t = now_ns();
  if (!strcmp(mode, "start")) return write(fd, &t, sizeof t) == sizeof t ? 0 : 1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  if (write(fd, "r", 1) != 1) return 1;
  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig == SIGTERM) return 0;
    if (sig == SIGUSR1 && write(fd, "s", 1) != 1) return 1;
  }
}

static pid_t spawn(char **init, const char *self, int fd, const char *mode) {
  char fdbuf[16];
  snprintf(fdbuf, sizeof fdbuf, "%d", fd);
  int n = 0;
  while (init[n]) n++;
  char **argv = calloc(n + 5, sizeof *argv);
  int k = 0;
  if (strcmp(init[0], "none"))
    for (int i = 0; i < n; i++) argv[k++] = init[i];
  argv[k++] = (char *)self;
  argv[k++] = "app";
  argv[k++] = fdbuf;
  argv[k++] = (char *)mode;
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  free(argv);
  return pid;
}

static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

static long long pct(long long *v, int n, int p) {
  qsort(v, n, sizeof *v, cmp);
  int i = (int)((long long)n * p / 100);
  return v[i < n ? i : n - 1];
}

static long status_field(pid_t pid, const char *field) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  long total = 0;
  if (!f) die(path);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, strlen(field))) total += atol(line + strlen(field));
  fclose(f);
  return total;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "app")) return app(atoi(argv[2]), argv[3]);
  if (argc < 5 || strcmp(argv[3], "--")) {
    fprintf(stderr, "usage: sigbench SIGNALS STARTS -- INIT [ARGS...] | none\n");
    return 2;
  }
  int signals = atoi(argv[1]), starts = atoi(argv[2]);
  char **init = argv + 4;
  const char *self = "/proc/self/exe";
  char selfpath[4096];
  ssize_t sl = readlink(self, selfpath, sizeof selfpath - 1);
  if (sl < 0) die("readlink");
  selfpath[sl] = 0;
  int p[2];
  if (pipe(p) < 0) die("pipe");

  long long *start = calloc(starts, sizeof *start);
  for (int i = 0; i < starts; i++) {
    long long t0 = now_ns(), t1;
    pid_t pid = spawn(init, selfpath, p[1], "start");
    full_read(p[0], &t1, sizeof t1);
    if (waitpid(pid, NULL, 0) < 0) die("waitpid");
    start[i] = t1 - t0;
  }
  printf("%.1f %.1f", pct(start, starts, 50) / 1e3, pct(start, starts, 99) / 1e3);
  if (!strcmp(init[0], "none")) {
    printf(" - - - -\n");
    return 0;
  }

  pid_t pid = spawn(init, selfpath, p[1], "echo");
  char c;
  full_read(p[0], &c, 1);
  long long *fwd = calloc(signals, sizeof *fwd);
  for (int i = 0; i < signals; i++) {
    long long t0 = now_ns();
    if (kill(pid, SIGUSR1) < 0) die("kill");
    full_read(p[0], &c, 1);
    fwd[i] = now_ns() - t0;
  }
  long rss = status_field(pid, "VmHWM:");
  long before = status_field(pid, "voluntary_ctxt_switches:") + status_field(pid, "nonvoluntary_ctxt_switches:");
  sleep(3);
  long wakeups = status_field(pid, "voluntary_ctxt_switches:") + status_field(pid, "nonvoluntary_ctxt_switches:") - before;
  if (kill(pid, SIGTERM) < 0) die("kill");
  if (waitpid(pid, NULL, 0) < 0) die("waitpid");
  printf(" %.1f %.1f %ld %ld\n", pct(fwd, signals, 50) / 1e3, pct(fwd, signals, 99) / 1e3, rss, wakeups);
  return 0;
}
