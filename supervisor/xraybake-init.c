/*
 * xraybake-init: PID 1 (or child subreaper) for a container that runs an app
 * together with a sidecar daemon (an agent: the AWS X-Ray daemon, a collector).
 *
 *   start-up   daemon first; the app once every readiness probe holds (a UDP
 *              bind or TCP listener in /proc/net, an HTTP 200) or after
 *              --ready-timeout (warning); --check runs the probes once, alone
 *   running    every signal but SIGCHLD is forwarded to the app; zombies are
 *              reaped; a dead daemon is restarted with exponential backoff
 *   stopping   on SIGTERM/SIGINT or when the app exits: the app stops first
 *              (SIGKILL at stop-timeout - flush-grace - margin), then the daemon
 *              gets SIGTERM and flush-grace, then SIGKILL for everything left
 *   exit       the app's exit code, or 128+signal
 *
 * One event loop: every signal is blocked (so nothing is lost, even as PID 1)
 * and read from a signalfd. Idle, the loop blocks in read(); only while a
 * deadline is pending (readiness polling, a daemon restart, a stop step) does
 * it poll() with a timeout, so an idle supervisor never wakes up.
 * Signals that arrive before the app exists are kept: SIGTERM/SIGINT mean
 * "start nothing more, stop the daemon, exit 128+N"; the others go to the app
 * once it catches, blocks or ignores them (or after ready-timeout).
 * Children: the daemon in its own session (a terminal's ^C never reaches it),
 * the app in its own process group, in the terminal's foreground if any.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef XRAYBAKE_VERSION
#define XRAYBAKE_VERSION "dev"
#endif

#define MAX_DAEMON_ARGS 64
#define FIRST_BACKOFF_MS 100
#define STABLE_MS 10000  /* a daemon up this long resets the backoff */
#define READY_POLL_MS 5       /* the first readiness re-check; then +50% each */
#define READY_POLL_MAX_MS 50  /* up to this */
#define HTTP_TIMEOUT_MS 1000  /* one HTTP probe while the app waits */
#define MAX_PROBES 16
#define MAX_DAEMON_ENV 64
#define EXIT_USAGE 2

/* ---- options ------------------------------------------------------------ */

static struct {
  const char *daemon;
  char *daemon_args[MAX_DAEMON_ARGS + 2]; /* [0] = daemon, NULL-terminated */
  int n_daemon_args;
  int cli_daemon_args;  /* the command line replaces the file's daemon-args */
  char *daemon_env[MAX_DAEMON_ENV];     /* KEY=VALUE, the daemon's only */
  int n_daemon_env;
  const char *ready_udp;
  int ready_udp_set, ready_given, ready_none, cli_ready, check;
  long long ready_timeout, flush_grace, stop_timeout, max_backoff; /* ms */
  const char *daemon_log;
  int verbosity; /* 0 quiet, 1 normal, 2 verbose */
} opt = {
  .ready_udp = "127.0.0.1:2000",
  .ready_timeout = 5000, .flush_grace = 5000, .stop_timeout = 30000,
  .max_backoff = 30000, .verbosity = 1,
};

static void logmsg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logmsg(int level, const char *fmt, ...) {
  if (level > opt.verbosity) return;
  char buf[512];
  int n = snprintf(buf, sizeof buf, "xraybake-init: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  va_end(ap);
  n = m < 0 ? n : (n + m > (int)sizeof buf - 2 ? (int)sizeof buf - 2 : n + m);
  buf[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, buf, n); /* nowhere to report a failure */
  (void)w;
}
/* The level is checked first so that arguments (signame) cost nothing when quiet. */
#define LOG_AT(level, ...) do { if (opt.verbosity >= (level)) logmsg(level, __VA_ARGS__); } while (0)
#define ERR(...) LOG_AT(0, __VA_ARGS__)
#define INFO(...) LOG_AT(1, __VA_ARGS__)
#define DEBUG(...) LOG_AT(2, __VA_ARGS__)

static const char *signame(int sig) {
  static const char *const names[] = {
    [SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
    [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
    [SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
    [SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
    [SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
  };
  static char buf[24];
  if (sig > 0 && sig < (int)(sizeof names / sizeof *names) && names[sig])
    snprintf(buf, sizeof buf, "SIG%s", names[sig]);
  else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN);
  else
    snprintf(buf, sizeof buf, "signal %d", sig);
  return buf;
}

static void usage(FILE *f) {
  fprintf(f,
    "usage: xraybake-init [OPTIONS] [--] APP [ARGS...]\n"
    "       xraybake-init --config FILE --check\n"
    "Runs APP as PID 1 (or as a child subreaper) with an optional daemon beside it:\n"
    "the daemon starts first, the app once the daemon is ready; signals go to the\n"
    "app; zombies are reaped; on stop the app stops first, then the daemon.\n\n"
    "  --config FILE          read options from FILE (key = value, # comments)\n"
    "  --daemon PATH          the daemon binary (absent: plain init)\n"
    "  --daemon-arg ARG       one argument for the daemon (repeat)\n"
    "  --daemon-env KEY=VAL   environment for the daemon only (repeat)\n"
    "  --ready PROBE          start the app once every PROBE holds (repeat):\n"
    "                         udp:HOST:PORT bound, tcp:HOST:PORT listening,\n"
    "                         http://HOST:PORT/PATH answering 200; 'none': no wait\n"
    "  --ready-udp HOST:PORT  the same as --ready udp:HOST:PORT, the default\n"
    "                         (127.0.0.1:2000) when no --ready is given; 'none'\n"
    "  --ready-timeout DUR    wait at most this long for them (5s)\n"
    "  --check                exit 0 if every probe holds now, else 1; start nothing\n"
    "  --flush-grace DUR      the daemon's flush time after the app stopped (5s)\n"
    "  --stop-timeout DUR     the whole stop budget (30s)\n"
    "  --max-backoff DUR      cap of the daemon restart backoff (30s)\n"
    "  --daemon-log PATH      daemon stdout/stderr to PATH (default: ours)\n"
    "  -v, --verbose          more log lines;  -q, --quiet  only warnings and errors\n"
    "  -h, --help             this text;  --version  the version\n"
    "DUR is a number with ms, s or m. Exit status: the app's, or 128+signal;\n"
    "126/127 when the app cannot be executed; 2 for bad options.\n");
}

/* DIGITS[.DIGITS] then ms, s or m (or a bare 0), at most 1e9 of the unit: by
 * hand, as strtod would take nan, inf, hex and exponents. */
static int parse_duration(const char *s, long long *out) {
  double v = 0, scale = 1;
  const char *p = s;
  if (*p < '0' || *p > '9') return -1;
  while (*p >= '0' && *p <= '9' && v <= 1e9) v = v * 10 + (*p++ - '0');
  if (*p == '.') {
    if (*++p < '0' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9') v += (*p++ - '0') * (scale /= 10);
  }
  if (v > 1e9) return -1;
  double mult;
  if (!strcmp(p, "ms")) mult = 1;
  else if (!strcmp(p, "s")) mult = 1000;
  else if (!strcmp(p, "m")) mult = 60000;
  else if (!*p && v == 0) mult = 0;
  else return -1;
  *out = (long long)(v * mult + 0.5);
  return 0;
}

static int parse_bool(const char *s) {
  if (!*s || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1")) return 1;
  if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0")) return 0;
  return -1;
}

enum { O_CONFIG, O_DAEMON, O_DAEMON_ARG, O_DAEMON_ENV, O_READY, O_READY_UDP, O_READY_TIMEOUT,
       O_FLUSH_GRACE, O_STOP_TIMEOUT, O_MAX_BACKOFF, O_DAEMON_LOG, O_VERBOSE, O_QUIET, O_CHECK,
       O_HELP, O_VERSION };
static const struct { const char *name; int id, has_arg; } options[] = {
  {"config", O_CONFIG, 1}, {"daemon", O_DAEMON, 1}, {"daemon-arg", O_DAEMON_ARG, 1},
  {"daemon-env", O_DAEMON_ENV, 1}, {"ready", O_READY, 1},
  {"ready-udp", O_READY_UDP, 1}, {"ready-timeout", O_READY_TIMEOUT, 1},
  {"flush-grace", O_FLUSH_GRACE, 1}, {"stop-timeout", O_STOP_TIMEOUT, 1},
  {"max-backoff", O_MAX_BACKOFF, 1}, {"daemon-log", O_DAEMON_LOG, 1},
  {"verbose", O_VERBOSE, 0}, {"quiet", O_QUIET, 0}, {"check", O_CHECK, 0}, {"help", O_HELP, 0},
  {"version", O_VERSION, 0},
};

static int find_option(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len)) return (int)i;
  return -1;
}

static int n_probes;
static int add_probe(const char *text, int bare_udp);

/* Applies options[i]; `file_line` is "FILE:LINE" for the config file, NULL
 * for the command line. Error messages name the option. */
static int apply_option(int i, char *val, const char *file_line) {
  int id = options[i].id, from_cli = !file_line;
  char where[340];
  if (file_line) snprintf(where, sizeof where, "%s: %s", file_line, options[i].name);
  else snprintf(where, sizeof where, "--%s", options[i].name);
  long long *dur = NULL;
  switch (id) {
  case O_CONFIG: return 0; /* handled before everything else */
  case O_DAEMON: opt.daemon = *val ? val : NULL; return 0;
  case O_DAEMON_ARG:
    if (from_cli && !opt.cli_daemon_args) opt.cli_daemon_args = 1, opt.n_daemon_args = 0;
    if (opt.n_daemon_args >= MAX_DAEMON_ARGS) {
      ERR("%s: more than %d daemon-arg values", where, MAX_DAEMON_ARGS);
      return -1;
    }
    opt.daemon_args[1 + opt.n_daemon_args++] = val;
    return 0;
  case O_DAEMON_ENV:
    if (val[0] == '=' || !strchr(val, '=')) { ERR("%s: expected KEY=VALUE, got '%s'", where, val); return -1; }
    if (opt.n_daemon_env >= MAX_DAEMON_ENV) { ERR("%s: more than %d values", where, MAX_DAEMON_ENV); return -1; }
    opt.daemon_env[opt.n_daemon_env++] = val;
    return 0;
  case O_READY:  /* the command line's list replaces the file's */
    if (from_cli && !opt.cli_ready) opt.cli_ready = 1, n_probes = 0, opt.ready_none = 0;
    opt.ready_given = 1;
    if (!strcmp(val, "none")) { n_probes = 0; opt.ready_none = 1; return 0; }
    if (add_probe(val, 0) < 0) {
      ERR("%s: bad probe '%s' (use udp:HOST:PORT, tcp:HOST:PORT or http://HOST:PORT/PATH, "
          "HOST an IP address or localhost; at most %d)", where, val, MAX_PROBES);
      return -1;
    }
    return 0;
  case O_READY_UDP: opt.ready_udp = val; opt.ready_udp_set = 1; return 0;
  case O_CHECK: opt.check = 1; return 0;
  case O_READY_TIMEOUT: dur = &opt.ready_timeout; break;
  case O_FLUSH_GRACE: dur = &opt.flush_grace; break;
  case O_STOP_TIMEOUT: dur = &opt.stop_timeout; break;
  case O_MAX_BACKOFF: dur = &opt.max_backoff; break;
  case O_DAEMON_LOG: opt.daemon_log = *val ? val : NULL; return 0;
  case O_VERBOSE: case O_QUIET: {
    int b = val ? parse_bool(val) : 1;
    if (b < 0) { ERR("%s: expected true or false, got '%s'", where, val); return -1; }
    if (b) opt.verbosity = id == O_VERBOSE ? 2 : 0;
    return 0;
  }
  case O_HELP: usage(stdout); exit(0);
  case O_VERSION: printf("xraybake-init %s\n", XRAYBAKE_VERSION); exit(0);
  }
  if (parse_duration(val, dur) < 0) {
    ERR("%s: bad duration '%s' (use e.g. 500ms, 5s, 1m)", where, val);
    return -1;
  }
  return 0;
}

/* key = value lines, # comments; keys are the long options. */
static int load_config(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    ERR("cannot read config %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  char *buf = malloc(st.st_size + 1); /* kept: option values point into it */
  ssize_t n = 0, r = buf ? 1 : -1;
  while (buf && n < st.st_size && ((r = read(fd, buf + n, st.st_size - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) n += r;
  int saved = buf ? errno : ENOMEM;
  close(fd);
  if (r < 0) { ERR("cannot read config %s: %s", path, strerror(saved)); return -1; }
  buf[n] = 0;
  int lineno = 0;
  for (char *line = buf, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    lineno++;
    char where[300];
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    for (char *hash = line; (hash = strchr(hash, '#')); hash++)  /* a comment: # first or after a blank */
      if (hash == line + strspn(line, " \t") || hash[-1] == ' ' || hash[-1] == '\t') { *hash = 0; break; }
    char *key = line + strspn(line, " \t\r");
    char *end = key + strlen(key);
    while (end > key && strchr(" \t\r", end[-1])) *--end = 0;
    if (!*key) continue;
    char *eq = strchr(key, '=');
    char *val = NULL;
    size_t klen = strlen(key);
    if (eq) {
      klen = eq - key;
      while (klen && strchr(" \t", key[klen - 1])) klen--;
      val = eq + 1 + strspn(eq + 1, " \t");
    }
    int i = find_option(key, klen);
    if (i < 0 || options[i].id == O_CONFIG || options[i].id == O_CHECK || options[i].id == O_HELP ||
        options[i].id == O_VERSION) {
      ERR("%s: unknown key '%.*s' (see xraybake-init --help)", where, (int)klen, key);
      return -1;
    }
    if (options[i].has_arg && !val) { ERR("%s: '%s' needs '= value'", where, options[i].name); return -1; }
    if (apply_option(i, val, where) < 0) return -1;
  }
  return 0;
}

/* Returns the index of the app's argv, or -1 after an error message. */
static int parse_args(int argc, char **argv) {
  for (int pass = 0; pass < 2; pass++) {  /* pass 0: --config only */
    for (int i = 1; i < argc; i++) {
      char *a = argv[i];
      if (!strcmp(a, "--")) { if (pass) return i + 1 < argc ? i + 1 : -1; break; }
      if (a[0] != '-' || !a[1]) { if (pass) return i; break; }
      int idx;
      char *val = NULL;
      if (!strcmp(a, "-v")) idx = find_option("verbose", 7);
      else if (!strcmp(a, "-q")) idx = find_option("quiet", 5);
      else if (!strcmp(a, "-h")) idx = find_option("help", 4);
      else if (a[1] == '-') {
        char *eq = strchr(a + 2, '=');
        idx = find_option(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        if (eq) val = eq + 1;
      } else idx = -1;
      if (idx < 0) { ERR("unknown option '%s' (see --help)", a); return -2; }
      if (options[idx].has_arg && !val) {
        if (i + 1 >= argc) { ERR("option '%s' needs a value", a); return -2; }
        val = argv[++i];
      } else if (!options[idx].has_arg && val) {
        ERR("option '--%s' takes no value", options[idx].name); return -2;
      }
      if (pass == 0) {
        if (options[idx].id == O_CONFIG && load_config(val) < 0) return -2;
        if (options[idx].id == O_HELP || options[idx].id == O_VERSION) apply_option(idx, NULL, NULL);
      } else if (apply_option(idx, val, NULL) < 0) return -2;
    }
  }
  return -1;
}

/* ---- readiness probes ---------------------------------------------------- */

/* udp:HOST:PORT and tcp:HOST:PORT are looked up in /proc/net/{udp,tcp}{,6}
 * (bound; listening), so the agent sees no connection from us; http://HOST:
 * PORT/PATH is a GET over HTTP/1.0 that must answer 200. Wildcard hosts
 * (0.0.0.0, [::], empty) accept a bind to any address; HTTP goes to loopback. */
enum probe_kind { PROBE_UDP, PROBE_TCP, PROBE_HTTP };
static const char *const probe_verb[] = {"bound", "listening", "answering 200"};
static struct probe {
  const char *text;         /* as configured, for messages */
  enum probe_kind kind;
  int family, held;
  uint32_t addr[4];         /* network order; all 0: any address */
  unsigned port;
  const char *host, *path;  /* http: Host header (host_len bytes) and path */
  int host_len;
  char why[64];             /* why it did not hold the last time */
} probes[MAX_PROBES + 1];  /* + ready-udp */

/* HOST:PORT (len bytes of s): IPv4, [IPv6], localhost, or empty for any. */
static int parse_host_port(const char *s, size_t len, struct probe *p) {
  char host[64];
  const char *colon = memrchr(s, ':', len);
  if (!colon || colon - s >= (long)sizeof host || (size_t)(colon + 1 - s) >= len) return -1;
  memcpy(host, s, colon - s);
  host[colon - s] = 0;
  unsigned long port = 0;
  for (const char *d = colon + 1; d < s + len; d++) {
    if (*d < '0' || *d > '9' || (port = port * 10 + (*d - '0')) > 65535) return -1;
  }
  if (port == 0) return -1;
  p->port = port;
  size_t hl = strlen(host);
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    p->family = AF_INET6;
    return inet_pton(AF_INET6, host + 1, p->addr) == 1 ? 0 : -1;
  }
  p->family = AF_INET;
  if (!*host) return 0; /* ":2000" means any address */
  if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
  return inet_pton(AF_INET, host, p->addr) == 1 ? 0 : -1;
}

/* Adds udp:H:P, tcp:H:P or http://H:P/PATH (or, for ready-udp, a bare H:P). */
static int add_probe(const char *text, int bare_udp) {
  if (n_probes >= MAX_PROBES + bare_udp) return -1;
  struct probe *p = &probes[n_probes];
  memset(p, 0, sizeof *p);
  p->text = text;
  const char *hp = text;
  size_t len;
  if (bare_udp) p->kind = PROBE_UDP;
  else if (!strncmp(text, "udp:", 4)) p->kind = PROBE_UDP, hp += 4;
  else if (!strncmp(text, "tcp:", 4)) p->kind = PROBE_TCP, hp += 4;
  else if (!strncmp(text, "http://", 7)) p->kind = PROBE_HTTP, hp += 7;
  else return -1;
  if (p->kind == PROBE_HTTP) {
    const char *slash = strchr(hp, '/');
    len = slash ? (size_t)(slash - hp) : strlen(hp);
    p->path = slash ? slash : "/";
    p->host = hp;
    p->host_len = (int)len;
    for (const char *c = p->path; *c; c++)  /* it goes into the request line as is */
      if ((unsigned char)*c <= ' ' || *c == 0x7f) return -1;
    if (strlen(p->path) > 256) return -1;
  } else {
    len = strlen(hp);
  }
  if (parse_host_port(hp, len, p) < 0) return -1;
  n_probes++;
  return 0;
}

/* Whether ADDR:PORT at p (a /proc/net line's local address, each 32-bit word a
 * native integer in hex) is the probe's address. */
static int proc_line_matches(const struct probe *pr, const char *p, int words) {
  uint32_t a[4] = {0};
  for (int w = 0; w < words; w++) {
    char word[9];
    memcpy(word, p, 8);
    word[8] = 0;
    a[w] = (uint32_t)strtoul(word, NULL, 16);
    p += 8;
  }
  if (*p != ':' || strtoul(p + 1, NULL, 16) != pr->port) return 0;
  int any = 1, same = 1, want_any = 1;  /* a wildcard on either side matches */
  for (int w = 0; w < words; w++) any &= a[w] == 0;
  for (int w = 0; w < 4; w++) want_any &= pr->addr[w] == 0;
  if (want_any) return 1;
  if (words == 1) same = a[0] == pr->addr[0] && pr->family == AF_INET;
  else for (int w = 0; w < 4; w++) same &= a[w] == pr->addr[w];
  if (words == 4 && pr->family == AF_INET) /* ::ffff:a.b.c.d */
    same = a[0] == 0 && a[1] == 0 && a[2] == htonl(0xffff) && a[3] == pr->addr[0];
  return any || same;
}

/* "  sl: local_address rem_address st ...": TCP must be in state 0A, LISTEN. */
static int proc_file_has(const struct probe *pr, const char *path, int words) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; /* no IPv6 in this kernel */
  char buf[4096];
  size_t have = 0, state_at = 2 + 16 * (size_t)words + 12;
  int found = 0;
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += n;
    buf[have] = 0;
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n'))) {
      *nl = 0;
      char *colon = strchr(line, ':');
      if (colon && strlen(colon) > state_at + 1 && proc_line_matches(pr, colon + 2, words) &&
          (pr->kind == PROBE_UDP || !strncmp(colon + state_at, "0A", 2)))
        found = 1;
      line = nl + 1;
    }
    have = buf + have - line;
    memmove(buf, line, have);
    if (found || have == sizeof buf - 1) break;
  }
  close(fd);
  return found;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with a valid clock */
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits until fd has `events` or the deadline passes (it looks once at least). */
static int wait_fd(int fd, short events, long long deadline) {
  for (;;) {
    long long left = deadline - now_ms();
    struct pollfd pfd = { .fd = fd, .events = events };
    int r = poll(&pfd, 1, left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left);
    if (r > 0) return 1;
    if ((r < 0 && errno != EINTR) || left <= 0) return 0;
  }
}

#define WHY(p, ...) snprintf((p)->why, sizeof (p)->why, __VA_ARGS__)

/* A tiny HTTP/1.0 client: GET, then only the status line is read. */
static int http_ok(struct probe *p, long long deadline) {
  struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(p->port) };
  struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(p->port) };
  int any = !(p->addr[0] | p->addr[1] | p->addr[2] | p->addr[3]);
  if (p->family == AF_INET) a4.sin_addr.s_addr = any ? htonl(INADDR_LOOPBACK) : p->addr[0];
  else if (any) a6.sin6_addr = in6addr_loopback;
  else memcpy(&a6.sin6_addr, p->addr, 16);
  int fd = socket(p->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { WHY(p, "socket: %s", strerror(errno)); return 0; }
  int ok = 0, err = 0;
  socklen_t elen = sizeof err;
  char buf[512];
  if (connect(fd, p->family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
              p->family == AF_INET ? sizeof a4 : sizeof a6) < 0 && errno != EINPROGRESS) err = errno;
  else if (!wait_fd(fd, POLLOUT, deadline)) { WHY(p, "connect timed out"); goto out; }
  else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) err = errno;
  if (err) { WHY(p, "%s", strerror(err)); goto out; }
  int len = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\nHost: %.*s\r\nUser-Agent: xraybake-init\r\n\r\n",
                     p->path, p->host_len, p->host);
  for (int sent = 0; sent < len;) {
    ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
    if (n > 0) { sent += n; continue; }
    if (n < 0 && errno != EAGAIN && errno != EINTR) { WHY(p, "send: %s", strerror(errno)); goto out; }
    if (!wait_fd(fd, POLLOUT, deadline)) { WHY(p, "send timed out"); goto out; }
  }
  size_t have = 0;
  while (have < 12) {  /* "HTTP/1.1 200" */
    ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
    if (n > 0) { have += n; continue; }
    if (n == 0) { WHY(p, "no HTTP answer"); goto out; }
    if (errno != EAGAIN && errno != EINTR) { WHY(p, "%s", strerror(errno)); goto out; }
    if (!wait_fd(fd, POLLIN, deadline)) { WHY(p, "no answer in time"); goto out; }
  }
  if (memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ') { WHY(p, "no HTTP answer"); goto out; }
  ok = !memcmp(buf + 9, "200", 3);
  if (!ok) WHY(p, "status %.3s", buf + 9);
out:
  close(fd);
  return ok;
}

/* "HOST:PORT not bound", with why when known. */
static const char *probe_failure(const struct probe *p, char *buf, size_t n) {
  snprintf(buf, n, "%s not %s%s%s%s", p->text, probe_verb[p->kind], p->why[0] ? " (" : "", p->why,
           p->why[0] ? ")" : "");
  return buf;
}

/* Whether the probe holds now; an HTTP GET may take until the deadline. */
static int probe_holds(struct probe *p, long long deadline) {
  p->why[0] = 0;
  if (p->kind == PROBE_HTTP) return http_ok(p, deadline);
  const char *v4 = p->kind == PROBE_UDP ? "/proc/net/udp" : "/proc/net/tcp";
  const char *v6 = p->kind == PROBE_UDP ? "/proc/net/udp6" : "/proc/net/tcp6";
  return proc_file_has(p, v4, 1) || proc_file_has(p, v6, 4);
}

/* ---- processes ---------------------------------------------------------- */

enum phase { STARTING, RUNNING, STOPPING_APP, STOPPING_DAEMON, DONE };
static struct {
  enum phase phase;
  pid_t app, daemon;        /* > 0 while running */
  int app_stopped, app_killed;
  int exit_code;
  uint64_t pending;         /* bit sig-1: signals that arrived before the app */
  long long pending_deadline;
  long long t0, ready_deadline, next_ready_poll, ready_interval, app_kill_at, daemon_kill_at;
  long long daemon_restart_at, daemon_started_at, backoff;
  int daemon_restarts;
  int daemon_log_fd;
  char **daemon_envp;       /* ours with daemon-env over it */
} st = { .daemon_log_fd = -1 };

static void child_fail(int pipefd, int err, int code) {
  ssize_t w = write(pipefd, &err, sizeof err);
  (void)w;
  _exit(code);
}

/* Whether two KEY=VALUE strings have the same KEY. */
static int same_key(const char *a, const char *b) {
  size_t n = strcspn(a, "=");
  return !strncmp(a, b, n) && b[n] == '=';
}

/* The daemon's environment: ours, then daemon-env (a later KEY wins). Built
 * once, without putenv (which would link a second malloc). */
static char **daemon_environment(void) {
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  char **envp = malloc((n + opt.n_daemon_env + 1) * sizeof *envp);
  if (!envp) return NULL;
  for (size_t i = 0; i < n + opt.n_daemon_env; i++) {
    char *e = i < n ? environ[i] : opt.daemon_env[i - n];
    int overridden = 0;
    for (int j = i < n ? 0 : (int)(i - n) + 1; j < opt.n_daemon_env; j++) overridden |= same_key(e, opt.daemon_env[j]);
    if (!overridden) envp[k++] = e;
  }
  envp[k] = NULL;
  return envp;
}

/* fork + exec; the child reports an exec failure's errno over a CLOEXEC pipe,
 * so the parent knows at once whether the program runs. Returns the pid, or
 * -1 (fork failed) with *err set; *err != 0 after a failed exec. */
static pid_t spawn(char **argv, int is_daemon, int *err) {
  int p[2];
  *err = 0;
  if (pipe2(p, O_CLOEXEC) < 0) { *err = errno; return -1; }
  pid_t pid = fork();
  if (pid < 0) { *err = errno; close(p[0]); close(p[1]); return -1; }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) child_fail(p[1], errno, 126);
    if (is_daemon) {
      /* Own session: a terminal's ^C must not reach the daemon before the app stops. */
      if (setsid() < 0) child_fail(p[1], errno, 126);
      int null = open("/dev/null", O_RDONLY);
      if (null < 0 || dup2(null, STDIN_FILENO) < 0) child_fail(p[1], errno, 126);
      if (null != STDIN_FILENO) close(null);
      if (st.daemon_log_fd >= 0 && (dup2(st.daemon_log_fd, STDOUT_FILENO) < 0 ||
                                    dup2(st.daemon_log_fd, STDERR_FILENO) < 0))
        child_fail(p[1], errno, 126);
    } else {
      /* Own process group, in the terminal's foreground if we have one, so a
       * ^C reaches the app once (not again through us) and never the daemon. */
      pid_t our_group = getpgrp();
      if (setpgid(0, 0) < 0) child_fail(p[1], errno, 126);
      if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == our_group) {
        void (*ttou)(int) = signal(SIGTTOU, SIG_IGN);
        if (ttou == SIG_ERR || tcsetpgrp(STDIN_FILENO, getpid()) < 0 || signal(SIGTTOU, ttou) == SIG_ERR)
          child_fail(p[1], errno, 126);
      }
    }
    execvpe(argv[0], argv, is_daemon ? st.daemon_envp : environ);
    child_fail(p[1], errno, errno == ENOENT ? 127 : 126);
  }
  close(p[1]);
  ssize_t n;
  do n = read(p[0], err, sizeof *err); while (n < 0 && errno == EINTR);
  if (n != sizeof *err) *err = 0;
  close(p[0]);
  return pid;
}

static void start_daemon(void) {
  int err;
  st.daemon_restart_at = 0;
  pid_t pid = spawn(opt.daemon_args, 1, &err);
  st.daemon_started_at = now_ms();
  if (pid < 0) {
    ERR("cannot fork the daemon: %s", strerror(err));
    st.daemon_restart_at = st.daemon_started_at + st.backoff; /* try again later */
    return;
  }
  st.daemon = pid;
  if (err) ERR("cannot execute daemon %s: %s", opt.daemon, strerror(err));
  else if (st.daemon_restarts) INFO("restarted daemon %s (pid %d, restart %d)", opt.daemon, pid, st.daemon_restarts);
  else INFO("started daemon %s (pid %d)", opt.daemon, pid);
}

static void signal_to(pid_t pid, int sig, const char *who) {
  if (kill(pid, sig) < 0 && errno != ESRCH) ERR("cannot send %s to the %s: %s", signame(sig), who, strerror(errno));
}

static void start_app(char **argv) {
  int err;
  pid_t pid = spawn(argv, 0, &err);
  if (pid < 0) {
    ERR("cannot fork the app: %s", strerror(err));
    st.exit_code = 126;
    return;
  }
  st.app = pid;
  if (err) {
    ERR("cannot execute %s: %s (exit %d)", argv[0], strerror(err), err == ENOENT ? 127 : 126);
    return;
  }
  INFO("started %s (pid %d)", argv[0], pid);
  st.pending_deadline = now_ms() + opt.ready_timeout;
}

/* A signal that arrived during start-up goes to the app once the app can take
 * it: caught, blocked or ignored (per /proc/PID/status), so that a fresh app
 * is not killed by, say, a SIGHUP it is about to handle; after ready-timeout
 * it goes anyway. Returns whether some are still waiting. */
static int deliver_pending(long long now) {
  uint64_t takes = 0;
  char path[32], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/status", st.app);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n > 0) {
    buf[n] = 0;
    static const char *const masks[] = {"\nSigBlk:", "\nSigIgn:", "\nSigCgt:"};
    for (int i = 0; i < 3; i++) {
      const char *m = strstr(buf, masks[i]);
      if (m) takes |= strtoull(m + strlen(masks[i]), NULL, 16);
    }
  }
  for (int sig = 1; sig <= 64; sig++) {
    uint64_t bit = 1ULL << (sig - 1);
    if (!(st.pending & bit) || (!(takes & bit) && now < st.pending_deadline)) continue;
    INFO("forwarding %s received during start-up to the app (pid %d)", signame(sig), st.app);
    signal_to(st.app, sig, "app");
    st.pending &= ~bit;
  }
  return st.pending != 0;
}

static void begin_daemon_stop(long long now) {
  st.phase = STOPPING_DAEMON;
  st.daemon_restart_at = 0;
  if (st.daemon > 0) {
    INFO("stopping daemon (pid %d): SIGTERM, flush grace %lldms", st.daemon, opt.flush_grace);
    signal_to(st.daemon, SIGTERM, "daemon");
    st.daemon_kill_at = now + opt.flush_grace;
  }
}

/* The app's share of the stop budget: what the daemon's flush leaves, less a
 * margin for our own scheduling. */
static long long app_budget(void) {
  long long margin = opt.stop_timeout / 20 < 500 ? opt.stop_timeout / 20 : 500;
  long long left = opt.stop_timeout - margin - (opt.daemon ? opt.flush_grace : 0);
  return left > 0 ? left : 0;
}

static void on_signal(int sig, long long now) {
  int stop = sig == SIGTERM || sig == SIGINT;
  switch (st.phase) {
  case STARTING:
    if (stop) {
      INFO("received %s during start-up: not starting the app", signame(sig));
      st.exit_code = 128 + sig;
      begin_daemon_stop(now);
    } else {
      DEBUG("received %s during start-up: kept for the app", signame(sig));
      if (sig <= 64) st.pending |= 1ULL << (sig - 1);
    }
    return;
  case RUNNING:
  case STOPPING_APP:
    if (st.app <= 0) break;
    if (stop && st.phase == RUNNING) {
      INFO("received %s: forwarding to the app (pid %d), SIGKILL in %lldms", signame(sig), st.app, app_budget());
      st.phase = STOPPING_APP;
      st.app_kill_at = now + app_budget();
    } else {
      DEBUG("forwarding %s to the app (pid %d)", signame(sig), st.app);
    }
    signal_to(st.app, sig, "app");
    if (stop && st.app_stopped) signal_to(st.app, SIGCONT, "app"); /* a stopped app could not act on it */
    return;
  default:
    break;
  }
  DEBUG("received %s with no app to forward it to", signame(sig));
}

static const char *describe(int status, char *buf, size_t n) {
  if (WIFSIGNALED(status)) snprintf(buf, n, "was killed by %s", signame(WTERMSIG(status)));
  else snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
  return buf;
}

static long long first_backoff(void) {
  return opt.max_backoff < FIRST_BACKOFF_MS ? (opt.max_backoff > 0 ? opt.max_backoff : 1) : FIRST_BACKOFF_MS;
}

static void reap(long long now) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0 && errno != ECHILD) ERR("waitpid: %s", strerror(errno));
    if (pid <= 0) return;
    char what[64];
    if (WIFSTOPPED(status) || WIFCONTINUED(status)) {
      if (pid == st.app) st.app_stopped = WIFSTOPPED(status);
      /* Stopped after it was told to stop: it would sit there until SIGKILL. */
      if (pid == st.app && st.app_stopped && st.phase == STOPPING_APP) {
        INFO("app (pid %d) stopped during shutdown: continuing it", pid);
        signal_to(pid, SIGCONT, "app");
      }
      continue;
    }
    if (pid == st.app) {
      st.app = 0;
      st.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      INFO("app (pid %d) %s", pid, describe(status, what, sizeof what));
    } else if (pid == st.daemon) {
      st.daemon = 0;
      if (st.phase >= STOPPING_DAEMON) {
        INFO("daemon (pid %d) %s", pid, describe(status, what, sizeof what));
        continue;
      }
      if (now - st.daemon_started_at >= STABLE_MS) st.backoff = first_backoff();
      for (int i = 0; i < n_probes; i++) probes[i].held = 0;  /* its successor must be ready again */
      st.ready_interval = READY_POLL_MS;
      INFO("daemon (pid %d) %s after %lldms; restarting in %lldms", pid,
           describe(status, what, sizeof what), now - st.daemon_started_at, st.backoff);
      st.daemon_restart_at = now + st.backoff;
      st.daemon_restarts++;
      st.backoff *= 2;
      if (st.backoff > opt.max_backoff) st.backoff = opt.max_backoff;
      if (st.backoff < first_backoff()) st.backoff = first_backoff();
    } else {
      DEBUG("reaped orphan pid %d (%s)", pid, describe(status, what, sizeof what));
    }
  }
}

/* SIGKILL whatever is left: as PID 1 the whole namespace; as a subreaper our
 * children, over and over, as their orphans become ours. */
static void kill_everything_left(void) {
  if (getpid() == 1) {
    if (kill(-1, SIGKILL) < 0 && errno != ESRCH) ERR("kill(-1): %s", strerror(errno));
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    return;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
  for (int round = 0; round < 1000; round++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { while (waitpid(-1, NULL, WNOHANG) > 0) {} return; }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    int killed = 0;
    for (char *p = buf, *end; *p; p = end) {
      long pid = strtol(p, &end, 10);
      if (end == p) break;
      if (pid > 0 && kill(pid, SIGKILL) == 0) killed++;
    }
    if (!killed) return;
    if (round == 0) INFO("killing %d process(es) left", killed);
    if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) return;
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
  }
}

/* Moves the state machine on; returns the next deadline (0: none). */
static long long step(char **app_argv, long long now) {
  if (st.daemon_restart_at && now >= st.daemon_restart_at && st.phase < STOPPING_DAEMON) start_daemon();
  if (st.phase == STARTING) {
    int go = 1;
    for (int i = 0; i < n_probes; i++) {
      struct probe *p = &probes[i];
      if (p->held) continue;
      /* each try gets its full time, the last one may end after ready-timeout */
      if ((p->held = probe_holds(p, now + HTTP_TIMEOUT_MS))) INFO("daemon ready: %s %s after %lldms", p->text, probe_verb[p->kind], now_ms() - st.t0);
      else go = 0;
    }
    now = now_ms();  /* an HTTP probe may have taken a while */
    if (!go && now >= st.ready_deadline) {
      for (int i = 0; i < n_probes; i++) {
        char what[400];
        if (!probes[i].held)
          ERR("warning: %s after %lldms (ready-timeout); starting the app anyway",
              probe_failure(&probes[i], what, sizeof what), opt.ready_timeout);
      }
      go = 1;
    } else if (!go) {  /* re-check soon, then less and less often */
      st.next_ready_poll = now + st.ready_interval;
      st.ready_interval += st.ready_interval / 2;
      if (st.ready_interval > READY_POLL_MAX_MS) st.ready_interval = READY_POLL_MAX_MS;
    }
    if (go) {
      st.phase = RUNNING;
      start_app(app_argv);
    }
  }
  int pending = st.app > 0 && st.pending && deliver_pending(now);
  if (st.phase == RUNNING && st.app <= 0) begin_daemon_stop(now);
  if (st.phase == STOPPING_APP && st.app <= 0) begin_daemon_stop(now);
  if (st.phase == STOPPING_APP && !st.app_killed && now >= st.app_kill_at) {
    ERR("app (pid %d) still running after %lldms: SIGKILL", st.app, app_budget());
    signal_to(-st.app, SIGKILL, "app");
    signal_to(st.app, SIGKILL, "app");
    st.app_killed = 1;
  }
  if (st.phase == STOPPING_DAEMON) {
    if (st.daemon > 0 && now >= st.daemon_kill_at) {
      ERR("daemon (pid %d) still running after the flush grace: SIGKILL", st.daemon);
      signal_to(st.daemon, SIGKILL, "daemon");
      while (waitpid(st.daemon, NULL, 0) < 0 && errno == EINTR) {}  /* dies at once */
      st.daemon = 0;
    }
    if (st.daemon <= 0) {
      kill_everything_left();
      st.phase = DONE;
      return 0;
    }
  }
  long long next = 0;
#define EARLIEST(t) if ((t) && (!next || (t) < next)) next = (t)
  if (st.phase < STOPPING_DAEMON) EARLIEST(st.daemon_restart_at);
  if (st.phase == STARTING) { EARLIEST(st.next_ready_poll); EARLIEST(st.ready_deadline); }
  if (pending) EARLIEST(now + READY_POLL_MS);
  if (st.phase == STOPPING_APP && !st.app_killed) EARLIEST(st.app_kill_at);
  if (st.phase == STOPPING_DAEMON) EARLIEST(st.daemon_kill_at);
  return next;
}

int main(int argc, char **argv) {
  int app_i = parse_args(argc, argv);
  if (app_i == -2) return EXIT_USAGE;
  if (app_i < 0 && !opt.check) {
    ERR("no app to run: usage: xraybake-init [OPTIONS] -- APP [ARGS...]");
    return EXIT_USAGE;
  }
  if (app_i >= 0 && opt.check) { ERR("--check starts nothing: no APP after it"); return EXIT_USAGE; }
  /* ready-udp (its default only when no --ready is given) adds a udp probe. */
  const char *udp = opt.ready_udp;
  if (opt.daemon && !opt.ready_none && udp && *udp && strcmp(udp, "none") &&
      (opt.ready_udp_set || !opt.ready_given) && add_probe(udp, 1) < 0) {
    ERR("bad ready-udp '%s' (use HOST:PORT, e.g. 127.0.0.1:2000, or none)", udp);
    return EXIT_USAGE;
  }
  if (opt.check) {  /* a health check: every probe, once, within ready-timeout */
    long long deadline = now_ms() + (opt.ready_timeout > 0 ? opt.ready_timeout : HTTP_TIMEOUT_MS);
    for (int i = 0; i < n_probes; i++) {
      char what[400];
      if (!probe_holds(&probes[i], deadline)) { ERR("not ready: %s", probe_failure(&probes[i], what, sizeof what)); return 1; }
    }
    DEBUG("ready: %d probe(s) hold", n_probes);
    return 0;
  }
  if (opt.daemon && opt.flush_grace >= opt.stop_timeout) {
    ERR("warning: flush-grace %lldms >= stop-timeout %lldms; using half the stop-timeout",
        opt.flush_grace, opt.stop_timeout);
    opt.flush_grace = opt.stop_timeout / 2;
  }
  opt.daemon_args[0] = (char *)opt.daemon;
  opt.daemon_args[1 + opt.n_daemon_args] = NULL;

  /* Block every signal before the first fork: nothing is lost, and as PID 1
   * blocked signals are queued rather than dropped. Every bit by hand: musl's
   * sigfillset leaves out 32-34 (its internal ones, unused by this one-thread
   * program), which would then kill us by default. The kernel itself skips
   * SIGKILL and SIGSTOP. */
  sigset_t all;
  memset(&all, 0xff, sizeof all);
  if (sigprocmask(SIG_SETMASK, &all, NULL) < 0) { ERR("sigprocmask: %s", strerror(errno)); return 1; }
  int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) { ERR("signalfd: %s", strerror(errno)); return 1; }
  pid_t self = getpid();
  if (self != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    ERR("warning: cannot become a child subreaper: %s", strerror(errno));

  st.t0 = now_ms();
  st.backoff = first_backoff();
  if (opt.daemon) {
    if (opt.daemon_log) {
      st.daemon_log_fd = open(opt.daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (st.daemon_log_fd < 0)
        ERR("warning: cannot open daemon-log %s: %s; the daemon logs to stderr", opt.daemon_log, strerror(errno));
    }
    if (!(st.daemon_envp = daemon_environment())) { ERR("out of memory"); return 1; }
    st.phase = STARTING;
    st.ready_deadline = st.t0 + opt.ready_timeout;
    st.ready_interval = READY_POLL_MS;
    start_daemon();
  } else {
    st.phase = RUNNING;
    start_app(argv + app_i);
  }

  for (;;) {
    long long now = now_ms();
    long long next = step(argv + app_i, now);
    if (st.phase == DONE) break;
    if (next) {  /* a deadline is pending: wait for a signal at most until then */
      struct pollfd pfd = { .fd = sfd, .events = POLLIN };
      long long wait = next - now;
      int r = poll(&pfd, 1, wait < 0 ? 0 : wait > INT_MAX ? INT_MAX : (int)wait);
      if (r < 0 && errno != EINTR) { ERR("poll: %s", strerror(errno)); return 1; }
      if (r <= 0) continue;
    }
    /* Idle: block in read() itself, so nothing wakes us but a signal, and a
     * forwarded signal costs one read and one kill. */
    struct signalfd_siginfo si[16];
    ssize_t n = read(sfd, si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { ERR("read signalfd: %s", strerror(errno)); return 1; }
    now = now_ms();
    /* Reap first: signals come out lowest number first, so a SIGTERM is read
     * before the SIGCHLD of an app that stopped earlier, and on_signal()
     * must know the app is stopped to send it SIGCONT. */
    size_t count = (size_t)n / sizeof *si;
    for (size_t i = 0; i < count; i++)
      if (si[i].ssi_signo == SIGCHLD) { reap(now); break; }
    for (size_t i = 0; i < count; i++) {
      if (si[i].ssi_signo == SIGCHLD) continue;
      if ((pid_t)si[i].ssi_pid == self && si[i].ssi_code == SI_USER)
        DEBUG("ignoring %s caused by ourselves", signame((int)si[i].ssi_signo)); /* SIGPIPE from a closed stderr */
      else on_signal((int)si[i].ssi_signo, now);
    }
  }
  INFO("exiting with status %d", st.exit_code);
  return st.exit_code;
}
