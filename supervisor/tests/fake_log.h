/* Shared by the supervisor's fake daemon and fake app: one timestamped event
 * per line, appended with a single write so concurrent writers never mix. */
#ifndef XB_FAKE_LOG_H
#define XB_FAKE_LOG_H
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *fake_log_path;

/* "<CLOCK_MONOTONIC ns> <pid> <event> <value>" */
static void fake_log(const char *event, long value) {
  if (!fake_log_path) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[128];
  int n = snprintf(line, sizeof line, "%lld %d %s %ld\n",
                   (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid(), event, value);
  int fd = open(fake_log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, n) != n) { perror(fake_log_path); _exit(99); }
  close(fd);
}

static void sleep_ms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) < 0) {}
}
#endif
