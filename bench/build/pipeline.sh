#!/usr/bin/env bash
# What a team would run instead of `xraybake build` for one platform, with
# standard tools: the daemon out of the .deb, three deterministic layers
# (daemon, supervisor, service files) as tar and tar.gz with their sha256s,
# added onto a copy of the base OCI layout, and the image config set.
#
#   pipeline.sh DEB BASE_LAYOUT INIT_DIR SERVICE_DIR WORK
set -euo pipefail
deb=$1 base=$2 init_dir=$3 service_dir=$4 w=$5
rm -rf "$w"
mkdir -p "$w/daemon" "$w/layers"
cp -a "$base" "$w/oci"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$w/daemon" ./usr/bin/xray
for l in daemon:"$w/daemon" init:"$init_dir" service:"$service_dir"; do
  name=${l%%:*} dir=${l#*:}
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$w/layers/$name.tar" .
  gzip -n -k "$w/layers/$name.tar"
done
sha256sum "$w"/layers/*.tar "$w"/layers/*.tar.gz > "$w/layers/SHA256SUMS"
for name in daemon init service; do
  umoci raw add-layer --image "$w/oci:latest" "$w/layers/$name.tar"
done
umoci config --image "$w/oci:latest" \
  --config.entrypoint=/usr/local/bin/xraybake-init --config.entrypoint=--config \
  --config.entrypoint=/etc/xraybake/init.conf --config.entrypoint=-- \
  --config.cmd=/usr/local/bin/standin-app --config.user=10001:10001 \
  --config.env=AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 --config.env=SERVICE=bench \
  --config.exposedports=5000/tcp --config.label=org.opencontainers.image.title=bench
