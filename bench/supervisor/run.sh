#!/usr/bin/env bash
# xraybake-init side by side with tini-static and dumb-init (Debian's packages),
# in one run: binary size, peak RSS, signal forwarding latency (median and p99),
# time from start to the app's exec, and idle wake-ups.
#
#   bench/supervisor/run.sh BUILD_DIR [SIGNALS] [STARTS]
#
# SIGNALS (default 5000) round trips of SIGUSR1 init -> app; STARTS (default 500)
# starts. The app is sigbench itself, static, so dynamic linking adds no noise.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
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
cc -O2 -static -o "$out/sigbench" "$here/sigbench.c"

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

read -r base50 base99 _ <<<"$(timeout 300 "$out/sigbench" "$signals" "$starts" -- none)"
for n in "${names[@]}"; do
  # shellcheck disable=SC2086 # the command is split on purpose
  read -r start50[$n] start99[$n] fwd50[$n] fwd99[$n] rss[$n] wake[$n] \
    <<<"$(timeout 600 "$out/sigbench" "$signals" "$starts" -- ${cmd[$n]})"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }
echo "supervisor benchmark: $(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $signals signals, $starts starts"
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
