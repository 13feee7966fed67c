#!/usr/bin/env bash
# Runs a built image under runc for a few seconds, stops it the way ECS does
# (SIGTERM), and shows its log and exit status. Needs root, umoci, runc, jq,
# and skopeo for a multi-platform OUT.
#
#   examples/quickstart/run-container.sh [OUT_DIR] [SECONDS] [PLATFORM]
#
# PLATFORM (or env PLATFORM) picks the image of a multi-platform OUT
# (linux/amd64, linux/arm64); default: this machine's. Another architecture
# runs through qemu-user-static registered in binfmt_misc with its F flag
# (see docs/docker.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/out}
secs=${2:-5}
host_arch=$(uname -m)
case $host_arch in x86_64) host_arch=amd64 ;; aarch64) host_arch=arm64 ;; esac
platform=${3:-${PLATFORM:-linux/$host_arch}}
arch=${platform#linux/}
id=xraybake-quickstart-$$
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"] // "latest"' "$out/oci/index.json")
work=$(mktemp -d)
bundle=$work/bundle
cleanup() { runc delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

if [[ $arch != "$host_arch" && ! -e /proc/sys/fs/binfmt_misc/qemu-$(sed 's/arm64/aarch64/' <<<"$arch") ]]; then
  echo "run-container.sh: $platform on a $host_arch machine needs qemu-user-static in binfmt_misc:" >&2
  echo "  apt-get install qemu-user-static binfmt-support; update-binfmts --enable qemu-aarch64" >&2
  exit 2
fi

image=$out/oci
if [[ $(jq -r '.manifests[0].mediaType' "$out/oci/index.json") == application/vnd.oci.image.index.v1+json ]]; then
  # umoci unpacks a manifest, not an index: copy out the one of $platform.
  echo "==> skopeo copy --override-arch $arch oci:$out/oci:$tag oci:$work/image:$tag"
  skopeo copy --quiet --preserve-digests --override-os linux --override-arch "$arch" \
    "oci:$out/oci:$tag" "oci:$work/image:$tag"
  image=$work/image
fi

echo "==> umoci unpack --image $image:$tag $bundle ($platform)"
umoci unpack --image "$image:$tag" "$bundle" >/dev/null
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
