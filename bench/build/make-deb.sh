#!/usr/bin/env bash
# A .deb shaped like AWS's X-Ray daemon package around BINARY (dpkg-deb,
# data.tar.gz): /usr/bin/xray plus the config and unit files.
#
#   make-deb.sh BINARY ARCH VERSION OUT.deb
set -euo pipefail
binary=$1 arch=$2 version=$3 out=$4
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$binary" "$root/usr/bin/xray"
install -d "$root/etc/amazon/xray" "$root/lib/systemd/system" "$root/DEBIAN"
printf 'Version: 2\nTotalBufferSizeMB: 0\nSocket:\n  UDPAddress: "127.0.0.1:2000"\n' > "$root/etc/amazon/xray/cfg.yaml"
printf '[Service]\nExecStart=/usr/bin/xray -f /var/log/xray/xray.log\n' > "$root/lib/systemd/system/xray.service"
cat > "$root/DEBIAN/control" <<CONTROL
Package: xray
Version: $version
Architecture: $arch
Maintainer: bench <bench@localhost>
Description: stand-in for the AWS X-Ray daemon (benchmark)
CONTROL
SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Zgzip -z6 -b "$root" "$out" >/dev/null
