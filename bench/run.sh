#!/usr/bin/env bash
# Every benchmark (./dev.sh bench): the supervisor's (bench/supervisor/), then
# the build's (bench/build/). BUILD_DIR is the CMake build tree.
#
#   bench/run.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build_dir=$(cd "${1:-build}" && pwd)
status=0
if [[ -x $here/supervisor/run.sh ]]; then
  "$here/supervisor/run.sh" "$build_dir" || status=$?
fi
"$here/build/run.sh" "$build_dir" || status=$?
exit "$status"
