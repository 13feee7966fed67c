#!/usr/bin/env bash
# Runs a built image under runc for a few seconds, stops it the way ECS does
# (SIGTERM), and shows its log and exit status. Needs root, umoci and runc.
#
#   examples/quickstart/run-container.sh [OUT_DIR] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/out}
secs=${2:-5}
id=xraybake-quickstart-$$
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // "latest"' "$out/oci/index.json")
work=$(mktemp -d)
bundle=$work/bundle
cleanup() { runc delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

echo "==> umoci unpack --image $out/oci:$tag $bundle"
umoci unpack --image "$out/oci:$tag" "$bundle" >/dev/null
# No terminal: the container's output goes to a log file. The image's user,
# command, environment and the new network namespace (with its own loopback,
# where app and daemon meet) stay as the image says.
jq '.process.terminal = false' "$bundle/config.json" > "$work/config.json"
mv "$work/config.json" "$bundle/config.json"

echo "==> runc run $id (for ${secs}s)"
runc run --bundle "$bundle" "$id" > "$work/container.log" 2>&1 &
runc_pid=$!
sleep "$secs"
echo "==> runc ps $id"
runc ps "$id" || true
echo "==> runc kill $id TERM"
start=$(date +%s%N)
runc kill "$id" TERM
status=0
wait "$runc_pid" || status=$?
echo "==> stopped in $(( ($(date +%s%N) - start) / 1000000 )) ms, exit status $status"
echo "==> the container's log (supervisor, daemon, app):"
cat "$work/container.log"
sink=$bundle/rootfs/tmp/xray-standin-sink.jsonl
if [[ -f $sink ]]; then
  echo "==> the stand-in daemon's record ($sink):"
  cut -c1-300 "$sink"
fi
