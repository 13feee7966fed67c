/* Placeholder until the supervisor lands: a plain exec of the app. */
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int i = 1;
  while (i < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2] != 0) i++;
  if (i < argc && argv[i][0] == '-' && argv[i][1] == '-') i++;
  if (i >= argc) { fprintf(stderr, "xraybake-init: usage: xraybake-init [OPTIONS] -- APP [ARGS...]\n"); return 2; }
  execvp(argv[i], argv + i);
  perror("xraybake-init: exec");
  return 127;
}
