#!/usr/bin/env bash
# Install round trip: `cmake --install` into a scratch prefix, then build a consumer with
# pkg-config and with find_package (shared and static), run each, and check that the
# shared library exports only functions declared UVMSIM_API in the installed headers.
#   install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER WORK_DIR
set -euo pipefail
# Never `cmd | grep -q` here: grep -q exits at the first match, cmd may then die of
# SIGPIPE and pipefail fails the pipeline.  Capture, then match with has().
has() { grep -q "$@"; }
build=$1 src=$2 cc=$3 work=$4
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"

fail() { echo "install_test: FAIL: $*" >&2; exit 1; }

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "install"; }
for f in include/uvmsim/uvmsim.h include/uvmsim/machine.h include/uvmsim/flashdev.h; do
    [ -f "$prefix/$f" ] || fail "missing $f"
done
[ -z "$(find "$prefix/include" -name '*internal*')" ] || fail "an internal header was installed"
# the lessons (uvmsim html pages of the example scenarios), when the build made them
if [ -d "$build/lessons" ]; then
    for f in "$build"/lessons/*.html; do
        [ -f "$prefix/share/doc/uvmsim/lessons/${f##*/}" ] || fail "lesson ${f##*/} not installed in share/doc/uvmsim/lessons"
    done
    echo "lessons installed: $(ls "$prefix/share/doc/uvmsim/lessons" | wc -l)"
fi
so=$(find "$prefix" -name 'libuvmsim.so' | head -n1)
a=$(find "$prefix" -name 'libuvmsim.a' | head -n1)
pc=$(find "$prefix" -name 'uvmsim.pc' | head -n1)
cfg=$(find "$prefix" -name 'uvmsimConfig.cmake' | head -n1)
[ -n "$so" ] && [ -n "$a" ] && [ -n "$pc" ] && [ -n "$cfg" ] || fail "library, .pc or package config missing"
libdir=$(dirname "$so")

echo "== exported symbols"
declared=$(grep -ho 'UVMSIM_API[^(]*\buvmsim_[a-z0-9_]*(' "$prefix"/include/uvmsim/*.h \
           | grep -o 'uvmsim_[a-z0-9_]*' | sort -u)
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u)
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
[ -z "$extra" ] || fail "exported but not declared UVMSIM_API: $extra"
for s in uvmsim_machine_create uvmsim_strerror uvmsim_flashdev_strategy; do
    has -x "$s" <<<"$exported" || fail "$s not exported"
done
has -x uvmsim_phys_lookup <<<"$exported" && fail "internal uvmsim_phys_lookup exported"
echo "$(echo "$exported" | wc -l) symbols exported, all declared UVMSIM_API"

echo "== pkg-config"
export PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
[ "$(pkg-config --modversion uvmsim)" = "$(grep -o '^Version: .*' "$pc" | cut -d' ' -f2)" ] || fail "modversion"
has -- '-lelf' <<<"$(pkg-config --static --libs uvmsim)" || fail "Requires.private libelf not honoured"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror -o "$work/consumer_pc" "$src/tests/install/consumer/consumer.c" \
    $(pkg-config --cflags --libs uvmsim)
out=$(LD_LIBRARY_PATH=$libdir "$work/consumer_pc")
echo "$out"
has "writing NOR: read-only medium (EROFS)" <<<"$out" || fail "pkg-config consumer output"
has "$libdir/libuvmsim.so" <<<"$(LD_LIBRARY_PATH=$libdir ldd "$work/consumer_pc")" || fail "pkg-config consumer not linked to the installed .so"

echo "== pkg-config, rpath instead of LD_LIBRARY_PATH"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror -o "$work/consumer_rpath" "$src/tests/install/consumer/consumer.c" \
    $(pkg-config --cflags --libs uvmsim) -Wl,-rpath,"$(pkg-config --variable=libdir uvmsim)"
out=$(env -u LD_LIBRARY_PATH "$work/consumer_rpath")
has "writing NOR: read-only medium (EROFS)" <<<"$out" || fail "rpath consumer output"

echo "== pkg-config --static (the README's static link line)"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror -o "$work/consumer_pcstatic" "$src/tests/install/consumer/consumer.c" \
    $(pkg-config --cflags uvmsim) -Wl,-Bstatic $(pkg-config --static --libs uvmsim) -Wl,-Bdynamic
out=$(env -u LD_LIBRARY_PATH "$work/consumer_pcstatic")
has "writing NOR: read-only medium (EROFS)" <<<"$out" || fail "static pkg-config consumer output"
if has "libuvmsim.so" <<<"$(ldd "$work/consumer_pcstatic")"; then
    fail "pkg-config --static consumer linked to the .so"
fi

echo "== the umbrella header includes every installed header"
for h in "$prefix"/include/uvmsim/*.h; do
    name=$(basename "$h")
    [ "$name" = uvmsim.h ] && continue
    has "#include \"uvmsim/$name\"" <<<"$(cat "$prefix/include/uvmsim/uvmsim.h")" || fail "uvmsim.h misses $name"
done

echo "== find_package"
cmake -S "$src/tests/install/consumer" -B "$work/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_COMPILER="$cc" >"$work/consumer-configure.log" 2>&1 \
    || { cat "$work/consumer-configure.log"; fail "consumer configure"; }
cmake --build "$work/consumer-build" >"$work/consumer-build.log" 2>&1 \
    || { cat "$work/consumer-build.log"; fail "consumer build"; }
for kind in shared static; do
    exe=$work/consumer-build/consumer_$kind
    out=$("$exe")
    echo "$kind: $out"
    has "writing NOR: read-only medium (EROFS)" <<<"$out" || fail "$kind consumer output"
done
has "libuvmsim.so" <<<"$(ldd "$work/consumer-build/consumer_shared")" || fail "shared consumer not dynamic"
if has "libuvmsim.so" <<<"$(ldd "$work/consumer-build/consumer_static")"; then
    fail "static consumer linked to the .so"
fi
rm -rf "$work"
echo "install_test: OK"
