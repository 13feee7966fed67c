#!/usr/bin/env python3
"""The CI templates in examples/ci (issue 15.5), read by a YAML parser
(PyYAML) and checked against what GitHub Actions and GitLab CI need: the cache
path is the XRAYBAKE_CACHE_DIR that xraybake reads, the cache key follows the
lock files that a fleet's `xraybake fetch` writes, and the build runs with
--locked and --push. Then each template's own build lines run as written with
bash: two pinned services, xraybake on PATH, their tags on a loopback
docker-registry, and the .debs from a file:// mirror. Both services must be
pushed, and pushed.txt must list them.

  ci_templates_test.py SOURCE_DIR BINARY_DIR
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import yaml

SRC, BIN = sys.argv[1], sys.argv[2]
FIX = os.path.join(BIN, "tests", "fixtures")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """Debian's docker-registry on 127.0.0.1:<free port>, its storage in DIR."""

    def __init__(self, tmp):
        self.port = free_port()
        cfg = os.path.join(tmp, "registry.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {tmp}/registry\nhttp:\n  addr: 127.0.0.1:{self.port}\n")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:  # ready when /v2/ answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("docker-registry did not start")
                time.sleep(0.05)

    def host(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def load(name):
    with open(os.path.join(SRC, "examples", "ci", name)) as f:
        return yaml.safe_load(f)


class Templates(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="xb-ci-")
        self.registry = Registry(self.tmp)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.addCleanup(self.registry.stop)

    def workspace(self):
        """A repository as the templates expect it: services/<name>/ with pinned locks."""
        ws = os.path.join(self.tmp, "ws")
        for name in ("orders", "billing"):
            d = os.path.join(ws, "services", name)
            os.makedirs(d)
            with open(os.path.join(d, "xraybake.yaml"), "w") as f:
                f.write(f"apiVersion: xraybake/v1\nservice:\n  name: {name}\n"
                        f"  base: oci:{FIX}/base-oci:latest\n  platforms: [linux/amd64]\n"
                        f"  command: [/usr/local/bin/standin-app]\n"
                        f"  tag: {self.registry.host()}/{name}:1.0\n"
                        "agent:\n  kind: adot-collector\n  version: 0.49.0\n"
                        "  signing_key: standin-signing-key.asc\n")  # the stand-in .deb's signer
            shutil.copy(os.path.join(FIX, "debs", "standin-signing-key.asc"), d)
        return ws

    def run_lines(self, ws, lines, env):
        """LINES as the CI runs them: one bash script, stopping at the first failure."""
        script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
        return subprocess.run(["bash", "-c", script], cwd=ws, env=env, capture_output=True, text=True)

    def env(self, ws, cache):
        e = dict(os.environ)
        e.update({"PATH": BIN + os.pathsep + e["PATH"], "XRAYBAKE_CACHE_DIR": cache,
                  "XRAYBAKE_ADOT_URL": f"file://{FIX}/debs/aws-otel-collector-{{arch}}-{{version}}.deb",
                  "SOURCE_DATE_EPOCH": "1700000000", "DOCKER_CONFIG": os.path.join(self.tmp, "docker")})
        return e

    def pin(self, ws, env):
        """What the templates ask of the repository: every lock pinned and committed."""
        r = subprocess.run(["xraybake", "fetch", "services/orders/", "services/billing/"], cwd=ws, env=env,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def check_pushed(self, ws):
        with open(os.path.join(ws, "pushed.txt")) as f:
            pushed = f.read().split()
        self.assertEqual([p.split("@")[0] for p in pushed],
                         [f"{self.registry.host()}/billing", f"{self.registry.host()}/orders"])  # services/*/
        for name in ("orders", "billing"):
            with urllib.request.urlopen(f"http://{self.registry.host()}/v2/{name}/tags/list") as r:
                self.assertIn("1.0", json.load(r)["tags"])

    def test_github_actions(self):
        wf = load("github-actions.yml")
        self.assertIn("push", wf[True] if True in wf else wf["on"])  # PyYAML reads `on:` as True
        job = wf["jobs"]["images"]
        steps = job["steps"]
        cache_dir = wf["env"]["XRAYBAKE_CACHE_DIR"]
        caches = [s for s in steps if s.get("uses", "").startswith("actions/cache@")
                  and "xraybake.lock" in s["with"]["key"]]
        self.assertEqual(len(caches), 1, "one cache keyed by the lock files")
        self.assertEqual(caches[0]["with"]["path"], "${{ env.XRAYBAKE_CACHE_DIR }}")
        self.assertTrue(cache_dir.startswith("${{ github.workspace }}"))
        builds = [s for s in steps if "xraybake" in s.get("run", "") and " build " in s.get("run", "")]
        self.assertEqual(len(builds), 1)
        run = builds[0]["run"]
        for flag in ("--locked", "--push", "services/*/"):
            self.assertIn(flag, run)
        # hashFiles('services/**/xraybake.lock') must see the locks a fetch writes.
        ws = self.workspace()
        env = self.env(ws, os.path.join(ws, ".xraybake-cache"))
        self.pin(ws, env)
        key_glob = caches[0]["with"]["key"].split("hashFiles('")[1].split("')")[0]
        self.assertEqual(len(glob.glob(os.path.join(ws, key_glob), recursive=True)), 2)
        r = self.run_lines(ws, run.strip().splitlines(), env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.check_pushed(ws)
        self.assertTrue(os.listdir(os.path.join(ws, ".xraybake-cache")), "the cache that the next run restores")

    def test_gitlab_ci(self):
        ci = load("gitlab-ci.yml")
        job = ci["images"]
        self.assertEqual(ci["variables"]["XRAYBAKE_CACHE_DIR"], "$CI_PROJECT_DIR/.xraybake-cache")
        self.assertEqual(job["cache"]["paths"], [".xraybake-cache/"])
        self.assertEqual(job["cache"]["key"]["files"], ["services/*/xraybake.lock"])
        script = job["script"]
        self.assertTrue(any("--locked" in l and "--push" in l and " build " in l for l in script))
        ws = self.workspace()
        env = self.env(ws, os.path.join(ws, ".xraybake-cache"))
        env["CI_PROJECT_DIR"] = ws
        self.pin(ws, env)
        self.assertEqual(len(glob.glob(os.path.join(ws, job["cache"]["key"]["files"][0]))), 2)
        # before_script writes a credsStore for ECR: here DOCKER_CONFIG stays the test's own.
        r = self.run_lines(ws, script, env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.check_pushed(ws)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
