#!/usr/bin/env bash
# Runs every fuzz target of BUILD_DIR (configured with -DXRAYBAKE_FUZZ=ON) for
# SECONDS each, starting from the seed corpus in corpus/<target>/ (left as it
# is: new inputs go to BUILD_DIR/fuzz-corpus/<target>/). A crash, leak,
# sanitizer report or timeout is saved as BUILD_DIR/fuzz-artifacts/<target>-*
# and fails the run; reproduce it with `BUILD_DIR/tests/fuzz/fuzz_<target> FILE`.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]   (default 30 s, every target)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?BUILD_DIR}" && pwd)
seconds=${2:-30}
shift 2 2>/dev/null || shift $#
targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in "$build"/tests/fuzz/fuzz_*; do
    [[ -x $bin && -f $bin ]] && targets+=("${bin##*/fuzz_}")
  done
fi
passed=0 failed=0
mkdir -p "$build/fuzz-artifacts"
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  work=$build/fuzz-corpus/$t
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  # -timeout: one input taking this long is a finding (a hang); generous for a loaded machine.
  if "$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "$here/corpus/$t" > "$build/fuzz-$t.log" 2>&1; then
    passed=$((passed + 1))
    grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$build/fuzz-$t.log" | tr '\n' ' '
    echo
  else
    failed=$((failed + 1))
    echo "fuzz: $t FAILED (log: $build/fuzz-$t.log)"
    grep -E -A40 "^==[0-9]+==|runtime error|deadly signal|Timeout|Test unit written" "$build/fuzz-$t.log" | head -80
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
