#!/usr/bin/env bash
# The build benchmarks (docs/performance.md, "## Build"), side by side in one
# run on the same realistic .deb: Debian's skopeo (a ~16 MB Go binary, like
# the real daemon) packaged as /usr/bin/xray and served from a file:// URL.
#
#   a. warm `xraybake build`, one platform, against standard tools (pipeline.sh);
#      also cold (empty cache: fetch, read the .deb, compress) against the same
#   b. 50 services, one daemon version, one cache, one after another, against one service;
#      b'. the same 50 in one invocation (a fleet; median of 5, in turns with one), b''. its peak RSS
#   c. peak RSS of `xraybake build` on a 100 MB .deb
#   d. 4 builds at once on one cache dir: all succeed, outputs equal to sequential builds
#
#   bench/build/run.sh BUILD_DIR     (RUNS=N hyperfine runs for a, default 10;
#                                     BENCH_WORK=DIR: work there, e.g. on another file system;
#                                     b runs first: see there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:-build}" && pwd)
xb=$build/xraybake
fixture_base=$build/tests/fixtures/base-oci
w=${BENCH_WORK:-$build/bench-build}
runs=${RUNS:-10}
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=1700000000
for tool in hyperfine umoci dpkg-deb jq python3 skopeo; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (./dev.sh setup)"; exit 1; }
done
[[ -x $xb && -f $fixture_base/index.json ]] || { echo "bench: build first (./dev.sh build)"; exit 1; }
rm -rf "$w/out" "$w/svc" "$w/cache"* "$w/base-oci"
mkdir -p "$w/mirror" "$w/out" "$w/svc"
# The base beside OUT and the cache, on one file system (as a runner's workspace
# holds them), also with BENCH_WORK elsewhere.
base=$w/base-oci
cp -a "$fixture_base" "$base"

missed=0
report() { # LABEL VALUE OK
  local verdict=ok
  [[ $3 == 1 ]] || { verdict=MISSED; missed=1; }
  printf '%-58s %s  [%s]\n' "$1" "$2" "$verdict"
}

# The realistic .deb (~7 MB, a 16 MB binary) and the big one (100 MB).
deb=$w/mirror/xray-$arch-3.6.6.deb
[[ -f $deb ]] || "$here/make-deb.sh" "$(command -v skopeo)" "$arch" 3.6.6 "$deb"
big=$w/mirror/xray-$arch-9.9.9.deb
if [[ ! -f $big ]]; then
  { cat "$(command -v skopeo)"; head -c $((86 << 20)) /dev/urandom; } > "$w/big-binary"
  "$here/make-deb.sh" "$w/big-binary" "$arch" 9.9.9 "$big"
  rm -f "$w/big-binary"
fi
sha() { sha256sum "$1" | cut -d' ' -f1; }

descriptor() { # NAME VERSION DEB -> path of a descriptor for service NAME
  local d=$w/svc/$1
  mkdir -p "$d"
  cat > "$d/xraybake.yaml" <<YAML
apiVersion: xraybake/v1
service:
  name: $1
  base: oci:$base:latest
  platforms: [linux/$arch]
  command: [/usr/local/bin/standin-app]
  env: {SERVICE: $1}
  ports: [5000/tcp]
  tag: bench/$1:1.0.0
xray:
  version: $2
  url: file://$w/mirror/xray-{arch}-{version}.deb
  sha256: {$arch: $(sha "$3")}
  config: {LocalMode: true, Region: us-east-1}
YAML
  echo "$d/xraybake.yaml"
}
xbuild() { # CACHE DESCRIPTOR OUT
  "$xb" -q --cache-dir "$1" build "$2" -o "$3"
}

echo "== xraybake build benchmarks ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); .deb $(du -h "$deb" | cut -f1), binary $(du -h "$(command -v skopeo)" | cut -f1))"
# An ext4 without a journal (this VM's root) scans, for each inode it
# allocates, the ones deleted in the minutes before (fs/ext4/ialloc.c,
# recently_deleted(): 1 minute, 6 while their inode table is dirty), and this
# script deletes about 10,000 files at its end. A journaled ext4 (a CI
# runner's) never does.
fstype=$(findmnt -no FSTYPE -T "$w" 2>/dev/null || true)
fsdev=$(findmnt -no SOURCE -T "$w" 2>/dev/null || true)
if [[ $fstype == ext4 && $fsdev == /dev/* ]] && ! compgen -G "/proc/fs/jbd2/${fsdev#/dev/}-*" >/dev/null; then
  echo "   note: $w is on an ext4 without a journal: within 6 minutes of the last run, b and b' (1,400 files"
  echo "   created per fleet, 28 per build) measure its scan of the files that run deleted; wait, or set BENCH_WORK"
fi

# --- b ----------------------------------------------------------------------
# First, and nothing deleted before the end of the script: on ext4 without a
# journal (this VM's root) every file created scans the inodes deleted in the
# minute before, so timing 50 services right after removing thousands of files
# (a's pipeline unpacks and removes a root file system each run) measures the
# benchmark's own rm. Each run gets fresh directories.
for i in $(seq 1 50); do descriptor "svc-$i" 3.6.6 "$deb" >/dev/null; done
files=()
for i in $(seq 1 50); do files+=("$w/svc/svc-$i/xraybake.yaml"); done
# One service, and b'. the same 50 in one invocation (a fleet: -j one per CPU),
# each with an empty cache: 5 of each, taken in turns, so that a slow minute of
# the disk weighs on both; the median of each.
t1s=() tfs=()
for r in 1 2 3 4 5; do
  t0=$(now); xbuild "$w/cache-b1-$r" "$w/svc/svc-1/xraybake.yaml" "$w/out/b-one-$r"; t1s+=("$(calc "$(now) - $t0")")
  t0=$(now); "$xb" -q --cache-dir "$w/cache-bf-$r" build "${files[@]}" -o "$w/out/fleet-$r"; tfs+=("$(calc "$(now) - $t0")")
done
t1=$(printf '%s\n' "${t1s[@]}" | sort -n | sed -n 3p)
tf=$(printf '%s\n' "${tfs[@]}" | sort -n | sed -n 3p)
t0=$(now)
for i in $(seq 1 50); do xbuild "$w/cache-b" "$w/svc/svc-$i/xraybake.yaml" "$w/out/b-$i"; done
t50=$(calc "$(now) - $t0")
ratio=$(calc "round($t50 / $t1, 2)")
report "b. 50 services, one cache / one service (empty cache)" \
  "$(calc "round($t50, 2)") s / $(calc "round($t1, 3)") s = $ratio (<= 3)" "$(calc "int($ratio <= 3)")"
ratio=$(calc "round($tf / $t1, 2)")
report "b'. 50 services in one invocation / one service (empty caches)" \
  "$(calc "round($tf, 2)") s / $(calc "round($t1, 3)") s = $ratio (<= 1.5)" "$(calc "int($ratio <= 1.5)")"
printf '   (each, in turns: one %s; fifty %s)\n' "$(for t in "${t1s[@]}"; do calc "round($t, 3)"; done | paste -sd' ')" \
  "$(for t in "${tfs[@]}"; do calc "round($t, 3)"; done | paste -sd' ')"
# b''. Its peak RSS.
rss_fleet=$("$here/peak_rss.py" "$xb" -q --cache-dir "$w/cache-b-rss" build "${files[@]}" -o "$w/out/fleet-rss")
report "b''. peak RSS of the 50-service invocation (any one process)" \
  "$((rss_fleet / 1024)) MiB (<= 64)" "$((rss_fleet <= 65536))"

# --- a ----------------------------------------------------------------------
one=$(descriptor svc-one 3.6.6 "$deb")
xbuild "$w/cache-a" "$one" "$w/out/a"      # warms the cache
xbuild "$w/cache-deb" "$one" "$w/out/a2"   # a cache with only the .deb (see --prepare)
# The pipeline gets the same supervisor and service files as xraybake writes.
mkdir -p "$w/init" "$w/service"
tar -xzf "$w/out/a/layers/xraybake-init-$arch.tar.gz" -C "$w/init"
tar -xzf "$w/out/a/layers/service.tar.gz" -C "$w/service"
hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$w/a.json" \
  --prepare "rm -rf $w/cache-deb/layers $w/cache-cold" \
  -n xraybake-warm "$xb -q --cache-dir $w/cache-a build $one -o $w/out/a" \
  -n xraybake-deb-cached "$xb -q --cache-dir $w/cache-deb build $one -o $w/out/a2" \
  -n xraybake-cold "$xb -q --cache-dir $w/cache-cold build $one -o $w/out/a3" \
  -n pipeline "$here/pipeline.sh $deb $base $w/init $w/service $w/pipeline" > "$w/a.log" 2>&1 || {
  cat "$w/a.log"; exit 1; }
median() { hyperfine_median "$w/a.json" "$1"; }
ta=$(median xraybake-warm) tdeb=$(median xraybake-deb-cached) tcold=$(median xraybake-cold) tp=$(median pipeline)
ratio=$(calc "round($ta / $tp, 3)")
report "a. warm build / standard-tools pipeline (median of $runs)" \
  "$(calc "round($ta, 3)") s / $(calc "round($tp, 3)") s = $ratio (<= 0.5)" "$(calc "int($ratio <= 0.5)")"
printf '%-58s %s\n' "   (no layer cache, .deb cached: build / pipeline)" \
  "$(calc "round($tdeb, 3)") s / $(calc "round($tp, 3)") s = $(calc "round($tdeb / $tp, 3)")"
ratio=$(calc "round($tcold / $tp, 3)")
report "a''. cold build (empty cache) / standard-tools pipeline" \
  "$(calc "round($tcold, 3)") s / $(calc "round($tp, 3)") s = $ratio (<= 0.3)" "$(calc "int($ratio <= 0.3)")"

# --- c ----------------------------------------------------------------------
bigd=$(descriptor svc-big 9.9.9 "$big")
rss_cold=$("$here/peak_rss.py" "$xb" -q --cache-dir "$w/cache-c" build "$bigd" -o "$w/out/c")
rss_warm=$("$here/peak_rss.py" "$xb" -q --cache-dir "$w/cache-c" build "$bigd" -o "$w/out/c")
rss_nolayer=$(rm -rf "$w/cache-c/layers"; "$here/peak_rss.py" "$xb" -q --cache-dir "$w/cache-c" build "$bigd" -o "$w/out/c")
peak=$(printf '%s\n' "$rss_cold" "$rss_warm" "$rss_nolayer" | sort -n | tail -1)
report "c. peak RSS, $(du -h "$big" | cut -f1) .deb (cold, warm, .deb cached)" \
  "$((rss_cold / 1024)), $((rss_warm / 1024)), $((rss_nolayer / 1024)) MiB (<= 64)" "$((peak <= 65536))"
rm -rf "$w/out/c" "$w/cache-c"

# --- d ----------------------------------------------------------------------
pids=()
for i in 1 2 3 4; do
  xbuild "$w/cache-d" "$w/svc/svc-$i/xraybake.yaml" "$w/out/d-par-$i" 2> "$w/d-$i.log" & pids+=($!)
done
ok=1
for p in "${pids[@]}"; do wait "$p" || ok=0; done
for i in 1 2 3 4; do
  xbuild "$w/cache-d-seq" "$w/svc/svc-$i/xraybake.yaml" "$w/out/d-seq-$i"
  diff -r "$w/out/d-par-$i" "$w/out/d-seq-$i" >/dev/null || ok=0
done
report "d. 4 builds at once, one cache: all succeed, equal to sequential" "$([[ $ok == 1 ]] && echo yes || echo no)" "$ok"
[[ $ok == 1 ]] || cat "$w"/d-*.log

rm -rf "$w/out" "$w/pipeline" "$w"/cache-b*
exit "$missed"
