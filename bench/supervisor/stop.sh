#!/usr/bin/env bash
# shellcheck disable=SC2034 # the tables are read by row() through a nameref
# The supervisor's ordered stop per agent kind (docs/performance.md, "### The
# ordered stop per agent"): the time from SIGTERM to xraybake-init's exit
# with a full buffer, against the agent's flush_grace, and what was lost.
#
#   X-Ray daemon     the stand-in daemon: holds every segment until SIGTERM
#   ADOT collector   the stand-in collector with the config xraybake generates
#   otelcol-contrib  the same collector from the contrib release's .deb
#   CloudWatch agent the stand-in's start program, which execs the agent
#
# Each is the image `xraybake build` makes from the test fixtures' .debs,
# minus the base: the agent, supervisor and service layers unpacked into a
# directory, plus the static stand-in app, run with chroot in network and
# mount namespaces of its own (unshare -n -m; /proc and /dev/null provided). The app
# sends SEGMENTS X-Ray segments as fast as it can and waits; once the agent has
# bound its receivers and the app has had FILL seconds, xraybake-init gets
# SIGTERM: it stops the app, then gives the agent flush_grace. Every kind uses
# the flush_grace validate asks of it (5 s; 31 s for the CloudWatch agent,
# whose exporter's 30 s request timeout is not in its JSON).
#
#   bench/supervisor/stop.sh BUILD_DIR [ROUNDS]     (root: chroot, unshare)
#
# A figure is the median of ROUNDS (default 5) stops, the worst also shown.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:?usage: stop.sh BUILD_DIR [ROUNDS]}" && pwd)
rounds=${2:-5}
segments=${SEGMENTS:-3000}
fill=${FILL:-1}
arch=$(dpkg --print-architecture)
xb=$build/xraybake
fx=$build/tests/fixtures
[[ $(id -u) -eq 0 ]] || { echo "stop.sh: needs root (chroot, unshare -n)" >&2; exit 1; }
for f in "$xb" "$fx/base-oci/index.json" "$fx/standin-app-$arch" "$fx/debs/cwagent/ubuntu/$arch/1.300071.0/amazon-cloudwatch-agent.deb"; do
  [[ -e $f ]] || { echo "stop.sh: $f missing (build first: ./dev.sh build)" >&2; exit 1; }
done
w=$build/bench/stop
rm -rf "$w"
mkdir -p "$w"
export SOURCE_DATE_EPOCH=1700000000 XRAYBAKE_DAEMON_URL='' XRAYBAKE_ADOT_URL='' XRAYBAKE_OTELCOL_URL='' XRAYBAKE_CWAGENT_URL=''

names=(daemon adot contrib cwagent)
declare -A kind=([daemon]=xray-daemon [adot]=adot-collector [contrib]=otelcol-contrib [cwagent]=cloudwatch-agent)
declare -A version=([daemon]=3.6.6 [adot]=0.49.0 [contrib]=0.131.0 [cwagent]=1.300071.0)
declare -A deb=(
  [daemon]='aws-xray-daemon-linux-{arch}-{version}.deb'
  [adot]='aws-otel-collector-{arch}-{version}.deb'
  [contrib]='otelcol/v{version}/otelcol-contrib_{version}_linux_{arch}.deb'
  [cwagent]='cwagent/ubuntu/{arch}/{version}/amazon-cloudwatch-agent.deb'
)
declare -A grace=([daemon]=5s [adot]=5s [contrib]=5s [cwagent]=31s)
declare -A sink=([daemon]=/tmp/xray-standin-sink.jsonl [adot]=/tmp/adot-standin-sink.jsonl
  [contrib]=/tmp/adot-standin-sink.jsonl [cwagent]=/tmp/adot-standin-sink.jsonl)
for n in "${names[@]}"; do
  file=${deb[$n]//\{arch\}/$arch}
  file=${file//\{version\}/${version[$n]}}
  key=$fx/debs/standin-signing-key.asc
  [[ $n == contrib ]] && key=''  # the release is pinned by sha256 (and its checksums file), not signed with GPG
  d=$(agent_descriptor "$w/svc/stop-$n" "$fx/base-oci" "${kind[$n]}" "${version[$n]}" "file://$fx/debs/${deb[$n]}" \
    "$fx/debs/$file" $key)
  echo "  flush_grace: ${grace[$n]}" >> "$d"
  sed -i 's/^  tag: /  stop_timeout: 40s\n  tag: /' "$d"
  "$xb" -q --cache-dir "$w/cache" build "$d" -o "$w/out-$n" 2>> "$w/build.log"
  root=$w/root-$n
  mkdir -p "$root/tmp" "$root/usr/local/bin" "$root/dev"
  chmod 1777 "$root/tmp"
  mknod -m 666 "$root/dev/null" c 1 3  # the supervisor gives the agent /dev/null as stdin
  for l in "$w/out-$n"/layers/*.tar.gz; do tar -xzf "$l" -C "$root"; done
  cp "$fx/standin-app-$arch" "$root/usr/local/bin/standin-app"
done

# One stop of kind N: prints "stop_ms sent received".
stop_once() { # N
  local n=$1 root=$w/root-$1 pid t0 t1
  rm -f "$root${sink[$n]}" "$root/tmp/app.json"
  # Its own network and mount namespaces: loopback up, /proc of that network (the supervisor's UDP probe reads it).
  unshare -n -m sh -c 'ip link set lo up && mkdir -p "$1/proc" && mount -t proc proc "$1/proc" && exec chroot "$@"' sh \
    "$root" /usr/local/bin/xraybake-init \
    --config /etc/xraybake/init.conf -- /usr/local/bin/standin-app --rate 0 --max "$segments" \
    --count-file /tmp/app.json >> "$w/agents.log" 2>&1 &
  pid=$!
  # The agent has bound its receivers (the supervisor started the app after that), then FILL seconds of sending.
  for _ in $(seq 300); do
    grep -q '"event":"bound"' "$root${sink[$n]}" 2>/dev/null && break
    sleep 0.05
  done
  sleep "$fill"
  t0=$(now)
  kill -TERM "$pid"
  wait "$pid" || true
  t1=$(now)
  local sent received
  sent=$(jq -r .sent "$root/tmp/app.json" 2>/dev/null || echo 0)
  received=$(grep '"event":"flush"' "$root${sink[$n]}" 2>/dev/null | tail -1 | jq -r '.segments // .count // 0')
  echo "$(calc "round(($t1 - $t0) * 1000)") $sent ${received:-0}"
}

declare -A runs
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < ${#names[@]}; i++)); do
    n=${names[(i + r) % ${#names[@]}]}
    runs[$n]+="$(stop_once "$n")"$'\n'
  done
done

declare -A median worst flush ratio_grace lost sent
for n in "${names[@]}"; do
  median[$n]=$(pick_column "${runs[$n]}" 1) worst[$n]=$(pick_column "${runs[$n]}" 1 max)
  flush[$n]=${grace[$n]}
  g=${grace[$n]%s}
  ratio_grace[$n]=$(ratio "${median[$n]}" "$((g * 1000))")
  lost[$n]=$(printf '%s' "${runs[$n]}" | awk 'NF { l += $2 - $3 } END { print l }')
  sent[$n]=$(printf '%s' "${runs[$n]}" | awk 'NF { s += $2 } END { print s }')
done

echo "ordered stop benchmark: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $rounds stops per kind, $segments segments each, ${fill}s of filling"
echo
printf '| %-34s | %12s | %14s | %15s | %16s |\n' metric "X-Ray daemon" "ADOT collector" "otelcol-contrib" "CloudWatch agent"
printf '|%s|%s|%s|%s|%s|\n' ------------------------------------ -------------: ---------------: ----------------: -----------------:
row() {
  local -n m=$2
  printf '| %-34s | %12s | %14s | %15s | %16s |\n' "$1" "${m[daemon]}" "${m[adot]}" "${m[contrib]}" "${m[cwagent]}"
}
row "flush_grace" flush
row "SIGTERM to exit, median (ms)" median
row "SIGTERM to exit, worst (ms)" worst
row "median / flush_grace" ratio_grace
row "segments sent (all stops)" sent
row "segments lost (all stops)" lost
echo
echo "(the agents' output: $w/agents.log; the builds': $w/build.log)"
