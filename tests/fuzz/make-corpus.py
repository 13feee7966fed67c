#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into corpus/<target>/ (committed;
run again after changing the seeds): the example descriptors plus variants
touching every key, and small .debs, sound and hostile, with uncompressed tar
members where possible so mutations reach the tar parser."""
import base64
import glob
import gzip
import io
import lzma
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# --- descriptors ---------------------------------------------------------
for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*", "xraybake.yaml"))):
    out("descriptor", os.path.basename(os.path.dirname(path)) + ".yaml", open(path, "rb").read())
HEAD = "apiVersion: xraybake/v1\nservice:\n  name: orders-api\n  base: oci:base:latest\n"
descs = {
    "minimal.yaml": HEAD,
    "every-key.yaml": HEAD + """  platforms: [linux/amd64, linux/arm64]
  command: [/app/run, --port, "5000"]
  workdir: /app
  user: "1000:1000"
  env: {A: "1", B: two}
  ports: [5000/tcp, 53/udp]
  stop_timeout: 1m30s
  tag: registry.example.com/orders-api:1.4.2
  labels: {team: orders}
xray:
  version: 3.3.13
  bucket_region: eu-west-1
  url: http://127.0.0.1:8080/{region}/{arch}/{version}.deb
  sha256:
    amd64: 0000000000000000000000000000000000000000000000000000000000000000
  config:
    TotalBufferSizeMB: 24
    Socket: {UDPAddress: "0.0.0.0:2000", TCPAddress: "127.0.0.1:2001"}
    Logging: {LogLevel: info}
    LocalMode: true
    Region: us-east-1
  args: [--log-level, debug]
  log: /var/log/xray/xray.log
  flush_grace: 1500ms
  ready_timeout: 2.5s
  restart: {max_backoff: 10s}
""",
    "registry-base.yaml": "apiVersion: xraybake/v1\nservice: {name: a, base: 'docker.io/library/python:3.12-slim@sha256:" + "a" * 64 + "'}\n",
    "errors.yaml": "apiVersion: xraybake/v2\nservice:\n  name: Bad_Name\n  base: ''\n  platforms: [windows/amd64]\n  stop_timeout: -1s\n  user: root\nxray:\n  cfg: 1\n  flush_grace: 40s\n",
    "anchors.yaml": "x: &a {name: a, base: b}\napiVersion: xraybake/v1\nservice: *a\nxray: {config: {<<: {Region: x}}}\n",
    "flow.yaml": '{"apiVersion": "xraybake/v1", "service": {"name": "a", "base": "b", "env": [["K", "V"]]}}\n',
    "tags.yaml": "apiVersion: !!str xraybake/v1\nservice: !!map {name: !!binary YQ==, base: b}\n",
}
for name, text in descs.items():
    out("descriptor", name, text)


# --- debs ----------------------------------------------------------------
def elf(arch, size=96):
    machine = 183 if arch == "arm64" else 62
    head = bytes([0x7F, ord("E"), ord("L"), ord("F"), 2, 1, 1] + [0] * 9 + [2, 0, machine & 0xFF, machine >> 8])
    return head + b"x" * (size - len(head))


def tar(entries, compress=None, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            name, kind = e[0], e[1]
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            elif kind == "file":
                data = e[2]
                info.size, info.mode = len(data), e[3] if len(e) > 3 else 0o644
                t.addfile(info, io.BytesIO(data))
            else:  # "sym", "hard", "chr", "fifo"
                info.type = {"sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE, "chr": tarfile.CHRTYPE,
                             "fifo": tarfile.FIFOTYPE}[kind]
                info.linkname = e[2] if len(e) > 2 else ""
                t.addfile(info)
    data = buf.getvalue()
    if compress == "gz":
        return gzip.compress(data, mtime=0)
    if compress == "xz":
        return lzma.compress(data)
    return data


def ar(members):
    out_ = b"!<arch>\n"
    for name, data in members:
        hdr = f"{name:<16}{0:<12}{0:<6}{0:<6}{0o100644:<8o}{len(data):<10}`\n".encode()
        out_ += hdr + data + (b"\n" if len(data) % 2 else b"")
    return out_


def control(arch="amd64"):
    return tar([(".", "dir"), ("./control", "file",
                f"Package: xray\nVersion: 3.3.13\nArchitecture: {arch}\nDescription: stand-in\n x\n".encode())])


def data(binary, extra=()):
    return tar([(".", "dir"), ("./usr", "dir"), ("./usr/bin", "dir"), ("./usr/bin/xray", "file", binary, 0o755),
                ("./etc/amazon/xray/cfg.yaml", "file", b"Version: 2\n"), *extra])


def deb(arch="amd64", data_member=None, data_name="data.tar", control_member=None, control_name="control.tar",
        first=("debian-binary", b"2.0\n"), extra=()):
    members = [first, (control_name, control_member if control_member is not None else control(arch)),
               (data_name, data_member if data_member is not None else data(elf(arch)))]
    return ar(members + list(extra))


debs = {
    "ok-plain.deb": deb(),
    "ok-arm64.deb": deb("arm64", data(elf("arm64"))),
    "ok-gz.deb": deb(data_member=gzip.compress(data(elf("amd64")), mtime=0), data_name="data.tar.gz",
                     control_member=gzip.compress(control(), mtime=0), control_name="control.tar.gz",
                     extra=[("_gpgorigin", b"-----BEGIN PGP SIGNATURE-----\n")]),
    "ok-xz.deb": deb(data_member=lzma.compress(data(elf("amd64"))), data_name="data.tar.xz"),
    "ok-pax.deb": deb(data_member=tar([(".", "dir"), ("./usr/bin/xray", "file", elf("amd64"), 0o755)],
                                      fmt=tarfile.PAX_FORMAT)),
    "wrong-arch.deb": deb(data_member=data(elf("arm64"))),
    "traversal.deb": deb(data_member=data(elf("amd64"), [("./../../etc/passwd", "file", b"root\n")])),
    "absolute.deb": deb(data_member=data(elf("amd64"), [("/etc/shadow", "file", b"x")])),
    "symlink-out.deb": deb(data_member=data(elf("amd64"), [("./usr/lib", "sym", "../../../../tmp")])),
    "hardlink-out.deb": deb(data_member=data(elf("amd64"), [("./usr/bin/x2", "hard", "../../etc/passwd")])),
    "hardlink-ok.deb": deb(data_member=data(elf("amd64"), [("./usr/bin/x2", "hard", "./usr/bin/xray")])),
    "device.deb": deb(data_member=data(elf("amd64"), [("./dev/null", "chr")])),
    "fifo.deb": deb(data_member=data(elf("amd64"), [("./run/fifo", "fifo")])),
    "duplicate.deb": deb(data_member=data(elf("amd64"), [("./usr/bin/xray", "file", b"second")])),
    "link-binary.deb": deb(data_member=tar([(".", "dir"), ("./usr/bin/xray", "sym", "xray2")])),
    "no-binary.deb": deb(data_member=tar([(".", "dir")])),
    "not-elf.deb": deb(data_member=data(b"#!/bin/sh\necho hi\n")),
    "bad-version.deb": deb(first=("debian-binary", b"3.0\n")),
    "wrong-first.deb": deb(first=("control.tar", control())),
    "extra-member.deb": deb(extra=[("evil", b"x")]),
    "two-data.deb": deb(extra=[("data.tar", data(elf("amd64")))]),
    "bz2-name.deb": deb(data_name="data.tar.bz2"),
    "lzma-name.deb": deb(data_name="data.tar.lzma"),
    "truncated.deb": deb()[:700],
    "empty-ar.deb": b"!<arch>\n",
}
for name, blob in debs.items():
    out("deb", name, blob)

# --- rendered outputs: the descriptor seeds ---------------------------------
for path in sorted(glob.glob(os.path.join(HERE, "corpus", "descriptor", "*"))):
    out("render", os.path.basename(path), open(path, "rb").read())

# --- WWW-Authenticate header values, one per line ---------------------------
challenges = {
    "bearer.txt": 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
    "basic.txt": 'Basic realm="Registry Realm"',
    "two-lines.txt": 'Basic realm="x"\nBearer realm="https://a/t",service="s"',
    "one-value-two.txt": 'Basic realm="a, b", Bearer realm="https://a/t",error="insufficient_scope"',
    "escapes.txt": 'Bearer realm="https://a/t\\"x",service=plain,scope="a\\\\b"',
    "odd.txt": 'Negotiate\nBEARER REALM=x\n,,, Bearer ,realm=',
}
for name, text in challenges.items():
    out("challenge", name, text)

# --- xraybake.lock ----------------------------------------------------------
H = "ab" * 32
locks = {
    "one.lock": '{\n  "daemon": {\n    "amd64": {\n      "sha256": "%s",\n      "size": 123,\n      "url": "https://x/a.deb"\n    }\n  },\n  "lockfileVersion": 1\n}\n' % H,
    "two.lock": '{"daemon": {"amd64": {"sha256": "%s", "size": 1, "url": "file:///a"}, "arm64": {"sha256": "%s", "size": 2, "url": "http://m/{x}"}}, "lockfileVersion": 1}' % (H, H),
    "with-layer.lock": '{"daemon": {"amd64": {"layer": {"diff_id": "sha256:%s", "digest": "sha256:%s", "format": "daemon-layer/1", "size": 456, "source_date_epoch": 0}, "sha256": "%s", "size": 123, "url": "https://x/a.deb?X-Amz-Signature=REDACTED", "version": "3.6.6"}}, "lockfileVersion": 1}' % (H, H, H),
    "layer-size-a-float.lock": '{"daemon": {"amd64": {"layer": {"diff_id": "sha256:%s", "digest": "sha256:%s", "format": "f", "size": 2e36, "source_date_epoch": 1.5}, "sha256": "%s", "size": 1, "url": "u"}}, "lockfileVersion": 1}' % (H, H, H),
    "empty.lock": '{"daemon": {}, "lockfileVersion": 1}',
    "future.lock": '{"daemon": {}, "lockfileVersion": 99}',
    "bad.lock": '{"daemon": {"amd64": {"sha256": "zz", "size": -1}}}',
    "version-a-string.lock": '{"lockfileVersion": "1", "daemon": {}}',
    # fuzzer finding: a number out of double's range threw json's out_of_range, not xb::Error
    "number-out-of-range.lock": b"888e776\xff\ri {? {?N",
    # fuzzer finding: a size that is a float beyond uint64_t was converted with undefined behaviour (UBSan)
    "size-a-huge-float.lock": base64.b64decode(
        "ewogICJkYWVtb24iOiB7CiAgICAiYW1kNjQiOiB7CiAgICAgICJzaGEyNTYiOiAiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYTFiYWJhYmFiYWJhYmFiYWJhYmFiYWIiLAogICAgICAic2l6ZSI6IDIxMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTExNDQsCiAgICAgICJ1cmwiOiAiaHR0L2EuZGViIgogICB9ICAgfQoKLCAgImxvY2tmaWxlVmVyc2lvbiI6IDEKfQk="),
}
for name, text in locks.items():
    out("lockfile", name, text)

# --- image JSON: index.json, then the manifest (or index) blob, then the config
# blob, separated by a line "--"; @M and @C stand for their digests ----------
CONFIG = '{"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/app"], "Cmd": ["x"], "Env": ["A=1"]}, "rootfs": {"type": "layers", "diff_ids": []}}'
MANIFEST = '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "@C", "size": %d}, "layers": []}' % len(CONFIG)
INDEX = '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "@M", "size": %d, "annotations": {"org.opencontainers.image.ref.name": "latest"}, "platform": {"architecture": "amd64", "os": "linux"}}]}'
images = {
    "manifest.txt": (INDEX % (len(MANIFEST) + 69)) + "\n--\n" + MANIFEST + "\n--\n" + CONFIG,
    "docker-list.txt": '{"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "digest": "@M", "size": 10}]}\n--\n{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "@C", "size": 5, "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}\n--\n{}',
    "not-json.txt": "{\n--\n[\n--\nnull",
}
for name, text in images.items():
    out("image_json", name, text)
