#!/usr/bin/env bash
# Issue 15.4 (c) and (e), side by side in one run, on the realistic .deb of
# run.sh (Debian's skopeo, ~16 MB, packaged as /usr/bin/xray):
#
#   c. one service cold on an empty runner whose registry already holds the
#      agent layer (xraybake.lock pins it; docs/cache.md "The registry as the
#      shared cache"): `xraybake --locked build --push` with an empty
#      --cache-dir and the .deb's site gone, against `docker build` + `docker
#      push` of the seed article's Dockerfile (its apt/wget replaced by a local
#      COPY of the same .deb) into the same loopback docker-registry: <= 0.1.
#   e. a warm single build (`xraybake build`, cache warm) against the same with
#      BASELINE_XRAYBAKE, an xraybake built from the commit the issue calls
#      "today" (e.g. e13d503): <= 0.5. Without BASELINE_XRAYBAKE, e is skipped.
#
#   bench/build/registry.sh BUILD_DIR   (RUNS=N hyperfine runs, default 10; c needs root for dockerd)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/../lib.sh"
build=$(cd "${1:-build}" && pwd)
xb=$build/xraybake
base=$build/tests/fixtures/base-oci
w=$build/bench-registry
runs=${RUNS:-10}
arch=$(dpkg --print-architecture)
export SOURCE_DATE_EPOCH=1700000000
for tool in hyperfine docker-registry skopeo jq python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (./dev.sh setup)"; exit 1; }
done
[[ -x $xb && -f $base/index.json ]] || { echo "bench: build first (./dev.sh build)"; exit 1; }
rm -rf "$w"
mkdir -p "$w/mirror" "$w/svc" "$w/ctx"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

missed=0
report() { # LABEL VALUE OK
  local verdict=ok
  [[ $3 == 1 ]] || { verdict=MISSED; missed=1; }
  printf '%-58s %s  [%s]\n' "$1" "$2" "$verdict"
}

deb=$w/mirror/xray-$arch-3.6.6.deb
"$here/make-deb.sh" "$(command -v skopeo)" "$arch" 3.6.6 "$deb"

# A docker-registry of our own on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
cat > "$w/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $w/registry
http:
  addr: $reg
YAML
docker-registry serve "$w/registry.yml" > "$w/registry.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do curl -fs "http://$reg/v2/" >/dev/null && break; sleep 0.1; done

descriptor() { # NAME -> path of a descriptor for service NAME tagged in the registry
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
  tag: $reg/bench/$1:1.0.0
xray:
  version: 3.6.6
  url: file://$w/mirror/xray-{arch}-{version}.deb
  config: {LocalMode: true, Region: us-east-1}
YAML
  echo "$d/xraybake.yaml"
}

echo "== registry-cache benchmarks ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); .deb $(du -h "$deb" | cut -f1))"

# --- c ----------------------------------------------------------------------
one=$(descriptor svc-c)
# A runner before: fetch (pins), build and push (the lock records the layer, its files, the package).
"$xb" -q --cache-dir "$w/cache-seed" build "$one" -o "$w/out-seed" --push > /dev/null
jq -e '.daemon[].layer.files | length > 0' "$w/svc/svc-c/xraybake.lock" > /dev/null
# The empty runner: no cache, and the .deb's site gone (the Dockerfile side keeps its copy in the context).
cp "$deb" "$w/ctx/xray.deb"
mv "$w/mirror" "$w/mirror.gone"
c_xb="$xb -q --locked --cache-dir $w/cache-empty build $one -o $w/out-c --push"
if [[ $(id -u) != 0 ]] || ! command -v dockerd >/dev/null; then
  echo "c. skipped: the docker build side needs root and dockerd"
else
  dockerd --data-root "$w/docker/data" --exec-root "$w/docker/exec" --pidfile "$w/docker/dockerd.pid" \
    --host "unix://$w/docker/docker.sock" --iptables=false --ip-masq=false --bridge=none \
    --log-level=warn > "$w/dockerd.log" 2>&1 & pids+=($!)
  export DOCKER_HOST=unix://$w/docker/docker.sock DOCKER_BUILDKIT=1
  # Debian's docker.io client (20.10) builds with BuildKit itself; a newer
  # client earlier on PATH (/usr/local/bin) would want the buildx plugin.
  docker=/usr/bin/docker
  for _ in $(seq 300); do $docker version >/dev/null 2>&1 && break; sleep 0.2; done
  skopeo copy --quiet "oci:$base:latest" "docker-daemon:bench-base:latest" --dest-daemon-host "$DOCKER_HOST"
  # The seed article's Dockerfile: the daemon out of its .deb into the app's
  # image, started beside the app (its wget/apt-get replaced by the COPY).
  cp "$w/out-seed/docker-entrypoint.sh" "$w/out-seed/cfg.yaml" "$w/ctx/"
  cat > "$w/ctx/Dockerfile" <<'DOCKERFILE'
FROM bench-base:latest
COPY xray.deb /tmp/xray.deb
RUN cd /tmp && ar x xray.deb && tar -xzf data.tar.gz -C / ./usr/bin/xray && rm -f /tmp/xray.deb /tmp/*.tar.* /tmp/debian-binary
COPY cfg.yaml /etc/amazon/xray/cfg.yaml
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 SERVICE=svc-c
EXPOSE 5000/tcp
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["/usr/local/bin/standin-app"]
DOCKERFILE
  c_docker="sh -c '$docker build -q --network none --no-cache -t $reg/bench/docker-c:1 $w/ctx > /dev/null && $docker push -q $reg/bench/docker-c:1 > /dev/null'"
  hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$w/c.json" \
    --prepare "rm -rf $w/cache-empty $w/out-c" \
    -n xraybake-registry "$c_xb" \
    -n docker-build-push "$c_docker" > "$w/c.log" 2>&1 || { cat "$w/c.log"; exit 1; }
  tx=$(hyperfine_median "$w/c.json" xraybake-registry) td=$(hyperfine_median "$w/c.json" docker-build-push)
  ratio=$(calc "round($tx / $td, 3)")
  report "c. empty runner, layer in the registry: build+push / docker" \
    "$(calc "round($tx, 3)") s / $(calc "round($td, 3)") s = $ratio (<= 0.1)" "$(calc "int($ratio <= 0.1)")"
fi
# Either way: the cold runner's build fetched no .deb, compressed nothing, and pushed the seed's image.
rm -rf "$w/cache-empty" "$w/out-c"
digest=$($xb -q --json --locked --cache-dir "$w/cache-empty" build "$one" -o "$w/out-c" --push | jq -r .push.digest)
[[ $digest == $(jq -r .oci.index.digest "$w/out-seed/build.json") ]] || { echo "c: another image was pushed"; exit 1; }
[[ ! -e $w/cache-empty/layers && $(jq '.remote_blobs | length' "$w/out-c/build.json") == 1 ]] ||
  { echo "c: the agent layer was made, not taken from the registry"; exit 1; }
mv "$w/mirror.gone" "$w/mirror"

# --- e ----------------------------------------------------------------------
if [[ -z ${BASELINE_XRAYBAKE:-} ]]; then
  echo "e. skipped: set BASELINE_XRAYBAKE to an xraybake built from the baseline commit"
else
  loc=$(descriptor svc-e)
  sed -i "s|  tag: .*|  tag: bench/svc-e:1.0.0|" "$loc"
  "$xb" -q --cache-dir "$w/cache-e" build "$loc" -o "$w/out-e" > /dev/null          # warms the cache
  "$BASELINE_XRAYBAKE" -q --cache-dir "$w/cache-e0" build "$loc" -o "$w/out-e0" > /dev/null
  hyperfine -N --style basic --warmup 2 --runs "$runs" --export-json "$w/e.json" \
    -n xraybake-warm "$xb -q --cache-dir $w/cache-e build $loc -o $w/out-e" \
    -n baseline-warm "$BASELINE_XRAYBAKE -q --cache-dir $w/cache-e0 build $loc -o $w/out-e0" > "$w/e.log" 2>&1 ||
    { cat "$w/e.log"; exit 1; }
  tn=$(hyperfine_median "$w/e.json" xraybake-warm) tb=$(hyperfine_median "$w/e.json" baseline-warm)
  ratio=$(calc "round($tn / $tb, 3)")
  report "e. warm single build / the baseline's" \
    "$(calc "round($tn, 3)") s / $(calc "round($tb, 3)") s = $ratio (<= 0.5)" "$(calc "int($ratio <= 0.5)")"
fi
exit "$missed"
