#!/usr/bin/env bash
# Build the libFuzzer harnesses with clang and run them (docs/fuzz.md).
#
#   fuzz/run.sh [--time SECONDS] [--fork N] [--build DIR] [--cc CLANG] [HARNESS...]
#
#   --time SECONDS  how long each harness fuzzes (default 60; hours: --time 14400)
#   --fork N        libFuzzer -fork=N: N fuzzing processes per harness (default 1)
#   --build DIR     the clang build directory (default build-fuzz in the source tree)
#   --cc CLANG      the compiler (default clang)
#   --build-only    configure and build, run nothing
#   --no-build      run what DIR already holds
#   HARNESS...      exec, ext2, scenario... (default: every fuzz/corpus/NAME with a
#                   fuzz/fuzz_NAME.c), one after the other
#
# Each harness starts from its seeds (fuzz/corpus/NAME, read only) and from what earlier
# runs found (DIR/fuzz-work/NAME/corpus, kept between runs); a crash, leak, timeout or
# out-of-memory input is saved as DIR/fuzz-work/NAME/crash-* (leak-*, timeout-*, oom-*).
# Exit status: 0 nothing found, 1 a harness found something (the input is named, with
# the command that replays it), 2 usage or build error.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TIME=60
FORK=1
BUILD="$SRC/build-fuzz"
CC_FUZZ=clang
DO_BUILD=1
DO_RUN=1
NAMES=()

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "fuzz/run.sh: $*" >&2; exit 2; }
need_num() { [[ "$2" =~ ^[1-9][0-9]{0,6}$ ]] || die "$1: expected a positive whole number, got '$2'"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --help|-h) usage; exit 0 ;;
        --time) [ $# -ge 2 ] || die "--time needs a value"; need_num --time "$2"; TIME=$2; shift 2 ;;
        --fork) [ $# -ge 2 ] || die "--fork needs a value"; need_num --fork "$2"; FORK=$2; shift 2 ;;
        --build) [ $# -ge 2 ] || die "--build needs a value"; BUILD=$2; shift 2 ;;
        --cc) [ $# -ge 2 ] || die "--cc needs a value"; CC_FUZZ=$2; shift 2 ;;
        --build-only) DO_RUN=0; shift ;;
        --no-build) DO_BUILD=0; shift ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) NAMES+=("$1"); shift ;;
    esac
done

ALL=()
for d in "$SRC"/fuzz/corpus/*/; do
    n=$(basename "$d")
    [ -f "$SRC/fuzz/fuzz_$n.c" ] && ALL+=("$n")
done
[ ${#NAMES[@]} -gt 0 ] || NAMES=("${ALL[@]}")
for n in "${NAMES[@]}"; do
    [ -f "$SRC/fuzz/fuzz_$n.c" ] || die "no harness '$n' (the harnesses: ${ALL[*]})"
done

if [ $DO_BUILD -eq 1 ]; then
    command -v "$CC_FUZZ" >/dev/null 2>&1 || die "$CC_FUZZ not found (Debian: apt-get install clang libclang-rt-dev)"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
              -DUVMSIM_FUZZ=ON -DUVMSIM_BUILD_TESTS=OFF >/dev/null || die "configuring $BUILD failed"
    fi
    targets=()
    for n in "${ALL[@]}"; do targets+=(--target "fuzz_$n"); done
    cmake --build "$BUILD" -j"${JOBS:-2}" "${targets[@]}" || die "building $BUILD failed"
fi
[ $DO_RUN -eq 1 ] || exit 0

status=0
for n in "${NAMES[@]}"; do
    bin="$BUILD/fuzz/fuzz_$n"
    [ -x "$bin" ] || die "$bin is missing: build it first (drop --no-build)"
    work="$BUILD/fuzz-work/$n"
    mkdir -p "$work/corpus"
    opts=()
    if [ -f "$SRC/fuzz/$n.options" ]; then
        while read -r o; do
            case "$o" in ''|'#'*) continue ;; -dict=*) o="-dict=$SRC/fuzz/${o#-dict=}" ;; esac
            opts+=("$o")
        done < "$SRC/fuzz/$n.options"
    fi
    if [ "$FORK" -gt 1 ]; then opts+=("-fork=$FORK" "-ignore_crashes=0"); fi
    echo "fuzz/run.sh: $n for ${TIME}s (corpus $work/corpus)"
    rc=0
    # ASan: leaks are findings; UBSan: any report stops the run with a stack.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" -max_total_time="$TIME" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
               -print_final_stats=1 -artifact_prefix="$work/" "${opts[@]}" \
               "$work/corpus" "$SRC/fuzz/corpus/$n" > "$work/log" 2>&1 || rc=$?
    tail -n 12 "$work/log"
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz/run.sh: $n FOUND something (exit $rc); the log: $work/log" >&2
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
            [ -e "$a" ] && echo "  input: $a   replay: $bin $a   (or build/fuzz/fuzz_$n $a)" >&2
        done
    else
        echo "fuzz/run.sh: $n: nothing found"
    fi
done
exit $status
