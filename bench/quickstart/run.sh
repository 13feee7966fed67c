#!/usr/bin/env bash
# The quick start from a fresh clone, side by side with the quick start of
# BASELINE (default 851cbd4, the last commit whose quick start built
# everything, tests included): each in its own clone of this repository,
# `./dev.sh quickstart` with ccache off (a fresh machine has no cache),
# one after the other (each run's start and end, with the load average, go
# to stderr: on a shared machine say what else ran); then what each installs
# from Debian on a machine that has nothing (apt-get's own resolver, sizes
# from the archive's index). Prints both and the ratios. Not part of
# ./dev.sh bench: it takes two cold builds (about half an hour on 2 cores).
#
#   bench/quickstart/run.sh [BASELINE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
baseline=${1:-851cbd4}
work=$(mktemp -d /tmp/xb-quickstart-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

timed_quickstart() {  # REV NAME: seconds of ./dev.sh quickstart in a fresh clone at REV
  git clone -q "$root" "$work/$2"
  git -C "$work/$2" checkout -q "$1"
  local start end
  echo "$2 ($1): start $(date -u +%T), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  start=$(date +%s.%N)
  (cd "$work/$2" && CCACHE_DISABLE=1 ./dev.sh quickstart >"$work/$2.log" 2>&1 && times >"$work/$2.times") ||
    { echo "quickstart of $1 failed:" >&2; tail -20 "$work/$2.log" >&2; exit 1; }
  end=$(date +%s.%N)
  # CPU seconds (user + system) of everything it ran: less sensitive than wall time to what else runs.
  tail -1 "$work/$2.times" | sed -E 's/([0-9]+)m([0-9.]+)s/\1*60+\2/g; s/ /+/' | bc >"$work/$2.cpu"
  echo "$2 ($1): end $(date -u +%T), load average $(cut -d' ' -f1-3 /proc/loadavg), $(echo "$end - $start" | bc) s, CPU $(cat "$work/$2.cpu") s" >&2
  echo "$end - $start" | bc
}

packages() {  # REV: the BUILD_PACKAGES (or, before they were split, PACKAGES) of its dev.sh
  git -C "$root" show "$1:dev.sh" | python3 -c '
import re, sys
src = sys.stdin.read()
m = re.search(r"^BUILD_PACKAGES=\((.*?)\n\)", src, re.S | re.M) or re.search(r"^PACKAGES=\((.*?)\n\)", src, re.S | re.M)
print(" ".join(w for line in m.group(1).splitlines() for w in line.split("#")[0].split()))'
}

apt_size() {  # PACKAGE...: "count download_bytes installed_bytes" on a machine with nothing installed
  : >"$work/empty-status"
  apt-get -s -o Dir::State::status="$work/empty-status" install --no-install-recommends "$@" 2>/dev/null |
    awk '/^Inst /{print $2}' | sort -u | python3 -c '
import re, subprocess, sys
names = sys.stdin.read().split()
size = inst = 0
for i in range(0, len(names), 200):
    out = subprocess.run(["apt-cache", "show", "--no-all-versions"] + names[i:i + 200], capture_output=True, text=True).stdout
    size += sum(int(x) for x in re.findall(r"^Size: (\d+)", out, re.M))
    inst += sum(int(x) for x in re.findall(r"^Installed-Size: (\d+)", out, re.M)) * 1024
print(len(names), size, inst)'
}

echo "quickstart benchmark: $(date -u +%FT%TZ), $(nproc) cores, HEAD $(git -C "$root" rev-parse --short HEAD) vs $baseline"
now=$(timed_quickstart HEAD head)
then=$(timed_quickstart "$baseline" baseline)
read -r n_now d_now i_now < <(apt_size $(packages HEAD))
read -r n_then d_then i_then < <(apt_size $(packages "$baseline") npm)
printf '| %-34s | %12s | %12s | %7s |\n' metric HEAD "$baseline" ratio
printf '|%s|%s|%s|%s|\n' "------------------------------------" "-------------:" "-------------:" "--------:"
printf '| %-34s | %12.0f | %12.0f | %7.2f |\n' "cold ./dev.sh quickstart (s)" "$now" "$then" "$(echo "$now / $then" | bc -l)"
read -r c_now <"$work/head.cpu"
read -r c_then <"$work/baseline.cpu"
printf '| %-34s | %12.0f | %12.0f | %7.2f |\n' "its CPU, user + system (s)" "$c_now" "$c_then" "$(echo "$c_now / $c_then" | bc -l)"
printf '| %-34s | %12d | %12d | %7.2f |\n' "Debian packages installed" "$n_now" "$n_then" "$(echo "$n_now / $n_then" | bc -l)"
printf '| %-34s | %12.0f | %12.0f | %7.2f |\n' "download (MB)" "$(echo "$d_now / 1000000" | bc -l)" "$(echo "$d_then / 1000000" | bc -l)" "$(echo "$d_now / $d_then" | bc -l)"
printf '| %-34s | %12.0f | %12.0f | %7.2f |\n' "installed (MB)" "$(echo "$i_now / 1000000" | bc -l)" "$(echo "$i_then / 1000000" | bc -l)" "$(echo "$i_now / $i_then" | bc -l)"
