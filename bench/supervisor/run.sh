#!/usr/bin/env bash
# xraybake-init side by side with tini-static and dumb-init (Debian's packages),
# in one run: binary size, peak RSS, signal forwarding latency (median and p99),
# time from start to the app's exec, and idle wake-ups.
#
#   bench/supervisor/run.sh BUILD_DIR [SIGNALS] [STARTS]
#   PIN= bench/supervisor/run.sh BUILD_DIR      # not pinned (see below)
#
# SIGNALS (default 5000) round trips of SIGUSR1 init -> app; STARTS (default 500)
# starts. The app is sigbench itself, static, so dynamic linking adds no noise.
# They are split over ROUNDS (default 5) rounds that take the inits in turn, in
# a rotating order, so a drift of the machine falls on all three alike; a
# figure is the median of the rounds' figures, peak RSS and wake-ups the largest.
#
# Every process runs on CPU $PIN (default 0; empty: wherever the kernel puts
# them). Unpinned on an idle machine, a round's forwarding median lands in one
# of two modes: about 5 us when the kernel keeps bench, init and app on one
# CPU, about 50 us when a wake-up crosses to an idle CPU, in proportions that
# change from run to run, so unpinned medians compare placement luck more
# than the inits (docs/performance.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:?usage: run.sh BUILD_DIR [SIGNALS] [STARTS]}" && pwd)
signals=${2:-5000}
starts=${3:-500}

xinit=$build/supervisor/xraybake-init-amd64
tini=/usr/bin/tini-static
dumb=/usr/bin/dumb-init
for f in "$xinit" "$tini" "$dumb"; do
  [[ -x $f ]] || { echo "run.sh: $f missing (build first; apt-get install tini dumb-init)" >&2; exit 1; }
done

out=$build/bench/supervisor
mkdir -p "$out"
build_sigbench "$out"

declare -A size start50 start99 fwd50 fwd99 rss wake
names=(xraybake-init tini-static dumb-init)
declare -A cmd=(
  [xraybake-init]="$xinit -q --"
  [tini-static]="$tini -s --"
  [dumb-init]="$dumb"
)
size[xraybake-init]=$(stat -c %s "$xinit")
size[tini-static]=$(stat -c %s "$tini")
size[dumb-init]=$(stat -c %s "$dumb")

pin=()
[[ -n ${PIN-0} ]] && pin=(taskset -c "${PIN-0}")
read -r base50 base99 _ <<<"$(timeout 300 "${pin[@]}" "$out/sigbench" "$signals" "$starts" -- none)"
rounds=${ROUNDS:-5}
declare -A runs  # "name" -> one line of sigbench output per round
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#names[@]}; i++)); do
    n=${names[(i + r) % ${#names[@]}]}
    # shellcheck disable=SC2086 # the command is split on purpose
    runs[$n]+="$(timeout 600 "${pin[@]}" "$out/sigbench" $((signals / rounds)) $((starts / rounds)) -- ${cmd[$n]})"$'\n'
  done
done
# Column COL (1-based) of NAME's rounds: the median, or with max the largest.
pick() { pick_column "${runs[$1]}" "$2" "${3:-median}"; }
for n in "${names[@]}"; do
  start50[$n]=$(pick "$n" 1) start99[$n]=$(pick "$n" 2) fwd50[$n]=$(pick "$n" 3) fwd99[$n]=$(pick "$n" 4)
  rss[$n]=$(pick "$n" 5 max) wake[$n]=$(pick "$n" 6 max)
done

echo "supervisor benchmark: $(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $signals signals, $starts starts in $rounds rounds, ${pin[*]:-not pinned}"
echo "dumb-init is $(file -b "$dumb" | grep -q 'statically linked' && echo static || echo dynamically linked); start baseline (app exec'd directly): median ${base50} us, p99 ${base99} us"
echo
printf '| %-30s | %13s | %13s | %13s | %12s | %14s |\n' metric xraybake-init tini-static dumb-init "xb / tini" "xb / dumb-init"
printf '|%s|%s|%s|%s|%s|%s|\n' -------------------------------- --------------: --------------: --------------: -------------: ---------------:
row() {
  local label=$1 key=$2
  local -n m=$key
  printf '| %-30s | %13s | %13s | %13s | %12s | %14s |\n' "$label" "${m[xraybake-init]}" "${m[tini-static]}" \
    "${m[dumb-init]}" "$(ratio "${m[xraybake-init]}" "${m[tini-static]}")" "$(ratio "${m[xraybake-init]}" "${m[dumb-init]}")"
}
row "binary size (bytes)" size
row "peak RSS (KiB, VmHWM)" rss
row "forwarding median (us)" fwd50
row "forwarding p99 (us)" fwd99
row "start to app exec median (us)" start50
row "start to app exec p99 (us)" start99
row "idle wake-ups in 3 s" wake
