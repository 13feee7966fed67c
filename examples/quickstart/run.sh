#!/usr/bin/env bash
# The quick start: builds examples/quickstart/xraybake.yaml into a complete OCI
# image, then says how to run it with umoci and runc.
#
#   examples/quickstart/run.sh [BUILD_DIR]     (./dev.sh quickstart calls this)
#
# 1. Writes the example's base image, examples/quickstart/base-oci (tag latest):
#    Debian's busybox-static plus a small demo app, /usr/local/bin/standin-app,
#    that sends numbered X-Ray segments. No network needed.
# 2. Runs `xraybake build`, which downloads the X-Ray daemon .deb
#    from $XRAYBAKE_DAEMON_URL (an internal mirror), or from AWS with
#    QUICKSTART_FROM_AWS=1. Otherwise it serves the TEST STAND-IN daemon .deb
#    from the build over loopback and says so loudly: that image is for trying
#    things out, not for production.
# 3. Prints the commands to run the image (see docs/running.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
xraybake=$build/xraybake
fixtures=$build/tests/fixtures
out=$here/out

if [[ -t 1 ]]; then bold=$'\033[1m' yellow=$'\033[1;33m' plain=$'\033[0m'; else bold="" yellow="" plain=""; fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }
loud() { printf "$yellow%s$plain\n" "$@"; }

[[ -x $xraybake ]] || { echo "run.sh: $xraybake not found: build first (./dev.sh build)" >&2; exit 1; }
cmake --build "$build" --target xb_quickstart_fixtures >/dev/null

say "Writing the base image $here/base-oci (busybox-static + standin-app)"
"$root/tests/fixtures/make-base-oci.sh" "$here/base-oci" "$(command -v busybox || echo /bin/busybox)" \
  "$fixtures/standin-app-amd64" amd64

server_pid=""
standin=""
extra=()
cleanup() { if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

# AWS is asked only when you say so (QUICKSTART_FROM_AWS=1): the script never
# probes the internet by itself.
if [[ -n ${XRAYBAKE_DAEMON_URL:-} ]]; then
  say "Daemon .deb from XRAYBAKE_DAEMON_URL=$XRAYBAKE_DAEMON_URL"
elif [[ ${QUICKSTART_FROM_AWS:-} == 1 ]]; then
  say "Daemon .deb from AWS (xray.url of the descriptor)"
else
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$fixtures/debs" "$port" >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export XRAYBAKE_DAEMON_URL="http://127.0.0.1:$port/aws-xray-daemon-linux-{arch}-{version}.deb"
  standin=1
  # Its own cache, and no lock left behind, so that the stand-in never passes
  # for AWS's .deb in a later real build.
  extra=(--cache-dir "$build/quickstart-standin-cache")
  had_lock=""
  [[ -e $here/xraybake.lock ]] && had_lock=1
  loud "################################################################################" \
       "#  Neither XRAYBAKE_DAEMON_URL nor QUICKSTART_FROM_AWS=1 is set." \
       "#  USING THE TEST STAND-IN X-RAY DAEMON from $fixtures/debs," \
       "#  served on http://127.0.0.1:$port/. It records segments and uploads NOTHING." \
       "#  For a real image set XRAYBAKE_DAEMON_URL to a mirror of AWS's .debs, e.g." \
       "#  http://mirror.example/xray/aws-xray-daemon-linux-{arch}-{version}.deb" \
       "################################################################################"
fi

say "xraybake build $here/xraybake.yaml -o $out"
"$xraybake" build "$here/xraybake.yaml" -o "$out" "${extra[@]}" "${@:2}"
if [[ -n $standin && -z $had_lock ]]; then
  rm -f "$here/xraybake.lock"
  say "Removed the xraybake.lock that pinned the stand-in"
fi

if [[ ! -f $out/oci/index.json ]]; then
  echo "run.sh: xraybake wrote no $out/oci: this build of xraybake makes only the text outputs" >&2
  exit 1
fi
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // "latest"' "$out/oci/index.json")
say "Built $out/oci:$tag. Run it (as root; see docs/running.md):"
cat <<RUN

  umoci unpack --image $out/oci:$tag /tmp/quickstart-bundle
  sed -i 's/"terminal": true/"terminal": false/' /tmp/quickstart-bundle/config.json
  runc run --bundle /tmp/quickstart-bundle quickstart > /tmp/quickstart.log 2>&1 &
  sleep 5; runc kill quickstart TERM; wait; echo "exit status \$?"
  cat /tmp/quickstart.log; runc delete quickstart; rm -rf /tmp/quickstart-bundle

or all of that in one go:  $here/run-container.sh $out 5
RUN
