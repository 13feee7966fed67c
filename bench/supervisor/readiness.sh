#!/usr/bin/env bash
# shellcheck disable=SC2034 # the tables are read by row() through a nameref
# xraybake-init's start to the app's exec when it waits for its agent to be
# ready (docs/performance.md, "### Waiting for the agent"), side by side:
#
#   no agent        a plain init (the start figure of run.sh)
#   X-Ray daemon    the stand-in daemon; one probe, udp:127.0.0.1:2000
#   ADOT collector  the stand-in collector with the config xraybake generates;
#                   five probes: udp+tcp 127.0.0.1:2000, tcp 4317, tcp 4318 and
#                   http://127.0.0.1:13133/ (200 once every receiver is bound)
#
# Each agent is what `xraybake build` puts in an image (from the test
# fixtures' .debs): its layer and the service layer unpacked into a directory,
# init.conf with the absolute paths of `daemon` and `daemon-arg` moved into that
# directory, read with --config as in the image. The app is sigbench (start
# mode: it reports the time its main() runs and exits); for each start the
# init starts the agent, waits for every probe, execs the app, and when the
# app has exited stops the agent (the collector waits its 1 s batch timeout:
# a start costs about 1 s of wall time, not of the figure). Everything runs in
# a network namespace of its own (unshare -n, loopback only), so the agents'
# fixed ports cannot clash with anything else on the machine.
#
#   bench/supervisor/readiness.sh BUILD_DIR [STARTS]
#
# STARTS (default 100) starts per init, split over ROUNDS (default 5) rounds
# that take the three in a rotating order; a figure is the median of the
# rounds' figures, peak RSS and wake-ups the largest. PIN as in run.sh
# (default CPU 0; empty: not pinned).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:?usage: readiness.sh BUILD_DIR [STARTS]}" && pwd)
starts=${2:-100}
rounds=${ROUNDS:-5}
arch=$(dpkg --print-architecture)
xb=$build/xraybake
xinit=$build/supervisor/xraybake-init-$arch
fx=$build/tests/fixtures
for f in "$xb" "$xinit" "$fx/base-oci/index.json" "$fx/debs/aws-otel-collector-$arch-0.49.0.deb"; do
  [[ -e $f ]] || { echo "readiness.sh: $f missing (build first: ./dev.sh build)" >&2; exit 1; }
done
w=$build/bench/readiness
rm -rf "$w"
build_sigbench "$w"
export SOURCE_DATE_EPOCH=1700000000 XRAYBAKE_DAEMON_URL='' XRAYBAKE_ADOT_URL=''
export XRAY_STANDIN_SINK=$w/daemon-sink.jsonl ADOT_STANDIN_SINK=$w/collector-sink.jsonl

declare -A kind=([daemon]=xray-daemon [collector]=adot-collector)
declare -A deb=([daemon]='aws-xray-daemon-linux-{arch}-{version}.deb' [collector]='aws-otel-collector-{arch}-{version}.deb')
declare -A version=([daemon]=3.6.6 [collector]=0.49.0)
for a in daemon collector; do
  file=${deb[$a]//\{arch\}/$arch}
  d=$(agent_descriptor "$w/svc/ready-$a" "$fx/base-oci" "${kind[$a]}" "${version[$a]}" "file://$fx/debs/${deb[$a]}" \
    "$fx/debs/${file//\{version\}/${version[$a]}}" "$fx/debs/standin-signing-key.asc")
  "$xb" -q --cache-dir "$w/cache" build "$d" -o "$w/out-$a"
  root=$w/root-$a
  mkdir -p "$root"
  for l in "$w/out-$a"/layers/*.tar.gz; do
    [[ $l == */xraybake-init-* ]] || tar -xzf "$l" -C "$root"
  done
  awk -v root="$root" '/^(daemon|daemon-arg) = \// { sub(/= /, "= " root) } { print }' \
    "$root/etc/xraybake/init.conf" > "$w/$a.conf"
done

names=(none daemon collector)
declare -A cmd=(
  [none]="$xinit -q --"
  [daemon]="$xinit -q --config $w/daemon.conf --"
  [collector]="$xinit -q --config $w/collector.conf --"
)
netns=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
where="its own network namespace"
if ! "${netns[@]}" true 2>/dev/null; then
  netns=() where="the host's network namespace (unshare -n failed: not root?)"
fi
pin=()
[[ -n ${PIN-0} ]] && pin=(taskset -c "${PIN-0}")
declare -A runs
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#names[@]}; i++)); do
    n=${names[(i + r) % ${#names[@]}]}
    # One signal: sigbench's forwarding figure is not wanted here (run.sh has it).
    # The agents share its stdout: keep its own line (six numbers) only.
    # shellcheck disable=SC2086 # the command is split on purpose
    timeout 900 "${netns[@]}" "${pin[@]}" "$w/sigbench" 1 $((starts / rounds)) -- ${cmd[$n]} \
      > "$w/round.out" 2>> "$w/agents.log" || { cat "$w/round.out"; tail -20 "$w/agents.log"; exit 1; }
    runs[$n]+="$(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9.]+ [0-9]+ [0-9]+$' "$w/round.out" | tail -1)"$'\n'
    grep -vE '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9.]+ [0-9]+ [0-9]+$' "$w/round.out" >> "$w/agents.log" || true
  done
done
declare -A start50 start99 rss wake
ms() { awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'; }
for n in "${names[@]}"; do
  start50[$n]=$(ms "$(pick_column "${runs[$n]}" 1)") start99[$n]=$(ms "$(pick_column "${runs[$n]}" 2)")
  rss[$n]=$(pick_column "${runs[$n]}" 5 max) wake[$n]=$(pick_column "${runs[$n]}" 6 max)
done
declare -A waited
for n in "${names[@]}"; do waited[$n]=$(awk -v a="${start50[$n]}" -v b="${start50[none]}" 'BEGIN { printf "%.2f", a - b }'); done
waited[none]=-

echo "readiness benchmark: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $starts starts in $rounds rounds, ${pin[*]:-not pinned}, in $where"
echo
printf '| %-38s | %8s | %12s | %14s | %18s |\n' metric "no agent" "X-Ray daemon" "ADOT collector" "collector / daemon"
printf '|%s|%s|%s|%s|%s|\n' ---------------------------------------- ---------: -------------: ---------------: -------------------:
row() {
  local -n m=$2
  printf '| %-38s | %8s | %12s | %14s | %18s |\n' "$1" "${m[none]}" "${m[daemon]}" "${m[collector]}" \
    "$(ratio "${m[collector]}" "${m[daemon]}")"
}
declare -A probes=([none]=0 [daemon]=1 [collector]=5)
row "readiness probes" probes
row "start to app exec median (ms)" start50
row "start to app exec p99 (ms)" start99
row "waiting for the agent, median (ms)" waited
row "init's peak RSS (KiB, VmHWM)" rss
row "init's idle wake-ups in 3 s" wake
echo
echo "(the agents' output: $w/agents.log)"
