#!/usr/bin/env bash
# Every benchmark (./dev.sh bench): the supervisor's (bench/supervisor/: against
# tini and dumb-init, then waiting for an agent, then the ordered stop per agent kind), then the build's (bench/build/:
# against a standard-tools pipeline, then the ADOT collector image against the
# X-Ray daemon image, then an empty runner with the agent layer in the registry
# against docker build + push, and a warm build against a baseline binary).
# BUILD_DIR is the CMake build tree.
#
#   bench/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "${1:-build}" && pwd)
status=0
for b in supervisor/run.sh supervisor/readiness.sh supervisor/stop.sh build/run.sh build/agents.sh build/registry.sh; do
  "$here/$b" "$build_dir" || status=$?
done
exit "$status"
