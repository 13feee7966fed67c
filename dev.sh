#!/usr/bin/env bash
# The developer's entry point: installs what a fresh Debian 12 machine lacks,
# configures and builds, and runs the quick start or the tests.
#
#   ./dev.sh quickstart   build xraybake alone into build-quickstart/ (BUILD_PACKAGES, no tests),
#                         then run it on examples/quickstart
#   ./dev.sh test         build, then run every test (what CI runs): the suite, the
#                         suite again under ASan+UBSan (build-asan/), a short fuzz
#                         run (build-fuzz/, clang; FUZZ_SECONDS per target, 20)
#   ./dev.sh build        install and build everything (tests included) only
#   ./dev.sh install      build xraybake alone (as quickstart does), then cmake --install into
#                         PREFIX (default /usr/local): the binary, its man page, its bash completion
#   ./dev.sh setup        install what BUILD_PACKAGES and TEST_PACKAGES name
#   ./dev.sh bench        build, then run the benchmarks in bench/
set -euo pipefail
cd "$(dirname "$0")"

# What building xraybake and the quick start need (./dev.sh quickstart, build).
BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config ccache git
  libyaml-cpp-dev libarchive-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev
  libcli11-dev libkainjow-mustache-dev libgpgme-dev libvalijson-dev libdtl-dev libdeflate-dev libzstd-dev
  musl-tools musl-dev musl-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross  # the static xraybake-init, amd64 and arm64
  gnupg busybox-static umoci jq python3  # the quick start's base image and its signed stand-in packages
)
# What the tests and benchmarks need besides (./dev.sh test, bench).
TEST_PACKAGES=(
  libgtest-dev libgmock-dev
  qemu-user-static binfmt-support
  skopeo oci-image-tool runc docker-registry apache2-utils
  tini dumb-init hyperfine openssl podman patch groff-base
  curl  # the curl CLI reads the referrers API back (generator/registry/push_referrers_test.cpp)
  clang-14 libclang-rt-14-dev
  docker.io  # a real Docker engine for tests/integration/e2e_docker_test.cpp (Debian's 20.10: /usr/bin/docker)
  nodejs  # node for the npm test clients (tests/fixtures/clients); npm: see setup()
  strace  # who syncs a fleet's outputs (tests/integration/cli_fleet_test.cpp)
  zsh  # the zsh completion is tested by zsh itself (tests/integration/cli_completion_test.cpp)
  python3-jsonschema python3-yaml  # a real JSON Schema validator for `xraybake schema` (tests/integration/cli_init_test.cpp)
  # The examples' bases and apps, run under Docker (tests/fixtures/make-base-{python,java,dotnet-standin}.sh):
  python3-aws-xray-sdk python3-pkg-resources  # the AWS X-Ray SDK for Python of examples/python-worker (its sampler imports pkg_resources)
  openjdk-17-jdk-headless  # javac and jar for examples/java-service, jlink for its Java base
)

# setup [PACKAGE...]: installs what of them is missing (default: all).
setup() {
  local wanted=("$@") missing=()
  ((${#wanted[@]})) || wanted=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # This machine's nodejs ships npm; Debian's own nodejs needs Debian's npm beside it.
  if [[ " ${wanted[*]} " == *" nodejs "* ]] && ! command -v npm >/dev/null; then missing+=(npm); fi
  if ((${#missing[@]})); then
    echo "dev.sh: installing ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    # musl-dev:arm64 (the arm64 supervisor's libc) needs Debian's arm64 archive.
    if [[ " ${missing[*]} " == *":arm64 "* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
      $sudo dpkg --add-architecture arm64
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

BUILD_DIR=${BUILD_DIR:-build}
# ccache: paths relative to the checkout and no working directory in the hash,
# so a fresh clone (CI) or another worktree reuses what any clone compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

build() {
  setup
  cmake -S . -B "$BUILD_DIR" -G Ninja -DXRAYBAKE_TESTS=ON -DXRAYBAKE_PCH=OFF ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$BUILD_DIR"
}

# The quick start's build, in its own directory: only xraybake (its man page
# and completion) and the quick start's fixtures; no GoogleTest, no test
# binary, none of the test tools; no debug info; one precompiled header, since
# much of a cold build is the compiler reading json/yaml/CLI11 headers; and a
# unity build (each library one translation unit), since most of the rest is
# instantiating and optimising their templates again in every file. Still -O2:
# `./dev.sh install` installs this binary.
QUICKSTART_BUILD_DIR=${QUICKSTART_BUILD_DIR:-build-quickstart}
build_main() {
  setup "${BUILD_PACKAGES[@]}"
  cmake -S . -B "$QUICKSTART_BUILD_DIR" -G Ninja -DXRAYBAKE_TESTS=OFF -DXRAYBAKE_PCH=ON -DXRAYBAKE_UNITY=ON \
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$QUICKSTART_BUILD_DIR" --target xraybake xb_man xb_quickstart_fixtures
}

case "${1:-}" in
  setup) setup ;;
  build) build ;;
  test)
    build
    (cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}")
    # The same suite with AddressSanitizer + UndefinedBehaviorSanitizer.
    BUILD_DIR=${ASAN_BUILD_DIR:-build-asan} CMAKE_ARGS="${CMAKE_ARGS:-} -DXRAYBAKE_SANITIZE=ON" build
    (cd "${ASAN_BUILD_DIR:-build-asan}" &&
       ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0} \
       UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
       ctest --output-on-failure --timeout 1800 -j "${CTEST_JOBS:-2}")
    # A short libFuzzer run of every target (tests/fuzz), built with clang.
    fuzz_dir=${FUZZ_BUILD_DIR:-build-fuzz}
    CC=clang-14 CXX=clang++-14 cmake -S . -B "$fuzz_dir" -G Ninja -DXRAYBAKE_FUZZ=ON >/dev/null
    cmake --build "$fuzz_dir" --target fuzz_all
    tests/fuzz/run.sh "$fuzz_dir" "${FUZZ_SECONDS:-20}"
    ;;
  install)
    build_main
    cmake --install "$QUICKSTART_BUILD_DIR" --prefix "${PREFIX:-/usr/local}"
    ;;
  quickstart)
    build_main
    exec examples/quickstart/run.sh "$QUICKSTART_BUILD_DIR"
    ;;
  bench)
    build
    exec bench/run.sh "$BUILD_DIR"
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
