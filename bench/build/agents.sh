#!/usr/bin/env bash
# The ADOT collector image against the X-Ray daemon image (docs/performance.md,
# "### ADOT collector against the X-Ray daemon"): `xraybake build` of one
# service, one platform, once with `agent: {kind: xray-daemon}` and once with
# `agent: {kind: adot-collector}`, in one hyperfine run:
#
#   warm  the --cache-dir already holds the .deb and the agent layer made from it
#   cold  an empty --cache-dir: fetch (file://), verify, read the .deb, compress
#         the agent layer; then the same as warm
#
# wall time (hyperfine's median) and CPU time (user + system, hyperfine's mean;
# steadier than wall time on a loaded machine), for two pairs of packages:
#
#   stand-ins  the test fixtures' .debs, signed and packaged like AWS's
#              (tests/fixtures/make-deb.sh), with signing_key set
#   16 MB      both packages around the same binary, Debian's skopeo (a Go
#              binary the size of the real daemon), unsigned: what the kind
#              itself costs once the package is as big as a real one
#
#   bench/build/agents.sh BUILD_DIR     (RUNS=N hyperfine runs, default 10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:-build}" && pwd)
xb=$build/xraybake
fx=$build/tests/fixtures
base=$fx/base-oci
w=$build/bench-agents
runs=${RUNS:-10}
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=1700000000 XRAYBAKE_DAEMON_URL='' XRAYBAKE_ADOT_URL=''
for tool in hyperfine jq python3 skopeo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (./dev.sh setup)"; exit 1; }
done
[[ -x $xb && -f $base/index.json && -f $fx/debs/aws-otel-collector-$arch-0.49.0.deb ]] ||
  { echo "bench: build first (./dev.sh build)"; exit 1; }
rm -rf "$w/svc" "$w/out" "$w"/cache-*
mkdir -p "$w/mirror" "$w/svc" "$w/out"

# The 16 MB pair, packaged by the fixtures' script (DEB_UNSIGNED: no GnuPG home needed).
fixture_src=$here/../../tests/fixtures
for p in xray:3.6.6:deb aws-otel-collector:0.49.0:deb-adot; do
  IFS=: read -r package version src <<<"$p"
  deb=$w/mirror/$package-$arch-$version.deb
  [[ -f $deb ]] || DEB_PACKAGE=$package DEB_UNSIGNED=1 \
    "$fixture_src/make-deb.sh" "$arch" "$version" "$(command -v skopeo)" "$fixture_src/$src" /nonexistent "$deb"
done

echo "== ADOT collector image against the X-Ray daemon image ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $runs runs)"
printf '| %-27s | %12s | %12s | %8s | %12s | %12s | %8s |\n' "xraybake build" "daemon, wall" "ADOT, wall" "ADOT / d" \
  "daemon, CPU" "ADOT, CPU" "ADOT / d"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ----------------------------- -------------: -------------: ---------: \
  -------------: -------------: ---------:
pair() { # LABEL DAEMON_URL DAEMON_DEB ADOT_URL ADOT_DEB [SIGNING_KEY]
  local label=$1 n k
  n=${label// /-} n=${n,,}
  local -A desc
  desc[daemon]=$(agent_descriptor "$w/svc/$n-daemon" "$base" xray-daemon 3.6.6 "$2" "$3" "${6:-}")
  desc[adot]=$(agent_descriptor "$w/svc/$n-adot" "$base" adot-collector 0.49.0 "$4" "$5" "${6:-}")
  local cmds=()
  for k in daemon adot; do
    "$xb" -q --cache-dir "$w/cache-$n-$k-warm" build "${desc[$k]}" -o "$w/out/$n-$k-warm"  # fills the cache
    cmds+=(-n "$k-warm" "$xb -q --cache-dir $w/cache-$n-$k-warm build ${desc[$k]} -o $w/out/$n-$k-warm")
    cmds+=(-n "$k-cold" "$xb -q --cache-dir $w/cache-$n-$k-cold build ${desc[$k]} -o $w/out/$n-$k-cold")
  done
  local json=$w/$n.json
  hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$json" \
    --prepare "rm -rf $w/cache-$n-daemon-cold $w/cache-$n-adot-cold" "${cmds[@]}" > "$w/$n.log" 2>&1 || {
    cat "$w/$n.log"; exit 1; }
  local how d a dc ac
  for how in warm cold; do
    d=$(hyperfine_median "$json" "daemon-$how") a=$(hyperfine_median "$json" "adot-$how")
    dc=$(hyperfine_cpu "$json" "daemon-$how") ac=$(hyperfine_cpu "$json" "adot-$how")
    printf '| %-27s | %10.3f s | %10.3f s | %8s | %10.3f s | %10.3f s | %8s |\n' "$label, $how" \
      "$d" "$a" "$(ratio "$a" "$d")" "$dc" "$ac" "$(ratio "$ac" "$dc")"
  done
  printf '| %-27s | %12s | %12s | %8s | %12s | %12s | %8s |\n' "$label, cold / warm" \
    "$(ratio "$(hyperfine_median "$json" daemon-cold)" "$(hyperfine_median "$json" daemon-warm)")" \
    "$(ratio "$(hyperfine_median "$json" adot-cold)" "$(hyperfine_median "$json" adot-warm)")" "" \
    "$(ratio "$(hyperfine_cpu "$json" daemon-cold)" "$(hyperfine_cpu "$json" daemon-warm)")" \
    "$(ratio "$(hyperfine_cpu "$json" adot-cold)" "$(hyperfine_cpu "$json" adot-warm)")" ""
}
sizes() { du -h "$1" | cut -f1; }
pair "stand-ins" "file://$fx/debs/aws-xray-daemon-linux-{arch}-{version}.deb" "$fx/debs/aws-xray-daemon-linux-$arch-3.6.6.deb" \
  "file://$fx/debs/aws-otel-collector-{arch}-{version}.deb" "$fx/debs/aws-otel-collector-$arch-0.49.0.deb" \
  "$fx/debs/standin-signing-key.asc"
pair "16 MB binary" "file://$w/mirror/xray-{arch}-{version}.deb" "$w/mirror/xray-$arch-3.6.6.deb" \
  "file://$w/mirror/aws-otel-collector-{arch}-{version}.deb" "$w/mirror/aws-otel-collector-$arch-0.49.0.deb"
echo "(.debs: stand-ins $(sizes "$fx/debs/aws-xray-daemon-linux-$arch-3.6.6.deb") and $(sizes "$fx/debs/aws-otel-collector-$arch-0.49.0.deb"), 16 MB pair $(sizes "$w/mirror/xray-$arch-3.6.6.deb") and $(sizes "$w/mirror/aws-otel-collector-$arch-0.49.0.deb"); hyperfine output in $w/*.log)"
rm -rf "$w/out" "$w"/cache-*
