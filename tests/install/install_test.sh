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

echo "== manual pages and documentation"
# Every page of man/ in share/man/manN; docs/ (notes and pictures), the example scenarios
# and the fault-matrix table in share/doc/uvmsim.
man=$prefix/share/man doc=$prefix/share/doc/uvmsim
npages=0
for p in "$src"/man/*.[1-9]; do
    name=${p##*/}
    [ -f "$man/man${name##*.}/$name" ] || fail "page $name not installed in share/man/man${name##*.}"
    npages=$((npages + 1))
done
[ "$npages" -ge 8 ] || fail "only $npages pages in $src/man"
for f in "$src"/docs/*.md "$src"/docs/*.png; do
    [ -f "$doc/${f##*/}" ] || fail "docs/${f##*/} not installed in share/doc/uvmsim"
done
for f in "$src"/examples/scenarios/*.scn; do
    [ -f "$doc/examples/scenarios/${f##*/}" ] || fail "scenario ${f##*/} not installed in share/doc/uvmsim/examples/scenarios"
done
[ -f "$doc/fault-matrix.txt" ] || fail "fault-matrix.txt not installed in share/doc/uvmsim"
echo "$npages pages, $(find "$doc" -type f | wc -l) documentation files"
# The programs the section 1 pages describe are installed beside them and run.
for p in "$man"/man1/*.1; do
    prog=${p##*/}
    prog=${prog%.1}
    [ -x "$prefix/bin/$prog" ] || fail "$prog(1) is installed but bin/$prog is not"
    has "^$prog (uvmsim) " <<<"$("$prefix/bin/$prog" --version)" || fail "bin/$prog --version"
done
# The installed tool reads the installed scenarios and table.
out=$("$prefix/bin/uvmsim" run "$doc/examples/scenarios/cow-fork.scn") || fail "uvmsim run of the installed cow-fork.scn"
has "^ok: " <<<"$out" || fail "installed cow-fork.scn: $out"
out=$("$prefix/bin/uvmsim" matrix --backend generic --table "$doc/fault-matrix.txt" | tail -n1) \
    || fail "uvmsim matrix --table with the installed fault-matrix.txt"
has " 0 differ" <<<"$out" || fail "installed fault-matrix.txt: $out"
# man -l renders an installed page (groff through man-db here).
if command -v man >/dev/null 2>&1; then
    out=$(MANWIDTH=80 man -l "$man/man1/uvmsim.1" 2>&1 | col -b) || fail "man -l uvmsim.1"
    for want in "uvmsim explain" "EXIT STATUS" "uvmsim-scenario(5)"; do
        has -F "$want" <<<"$out" || fail "man -l uvmsim.1 does not show '$want'"
    done
    out=$(MANPATH=$man man -w uvmsim-scenario 2>&1) || fail "man -w uvmsim-scenario with MANPATH=$man"
    [ "$out" = "$man/man5/uvmsim-scenario.5" ] || fail "man -w uvmsim-scenario: $out"
    echo "man -l uvmsim.1: $(wc -l <<<"$(MANWIDTH=80 man -l "$man/man1/uvmsim.1" 2>/dev/null)") lines"
else
    echo "man is not installed (Debian: man-db): the man -l check is skipped"
fi
# The program in libuvmsim(3)'s EXAMPLES, taken from the installed page, builds against
# the installed library and prints what the page says.
sed -n '/^\.\\" example-program-begin/,/^\.\\" example-program-end/p' "$man/man3/libuvmsim.3" \
    | sed -e '/^\.\\"/d' -e '/^\.Bd/d' -e '/^\.Ed/d' -e 's/\\e/\\/g' -e 's/\\&//g' >"$work/example.c"
[ -s "$work/example.c" ] || fail "no example program in libuvmsim.3"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/example" "$work/example.c" \
    $(pkg-config --cflags --libs uvmsim) -Wl,-rpath,"$libdir" || fail "libuvmsim(3) example does not build"
out=$("$work/example") || fail "libuvmsim(3) example exits non-zero"
want=$(sed -n '/^It prints$/{n;s/^\.Ql //;s/ \.$//;s/\\(dq/"/g;p;}' "$man/man3/libuvmsim.3")
[ -n "$want" ] && [ "$out" = "$want" ] || fail "libuvmsim(3) example printed '$out', the page says '$want'"
echo "libuvmsim(3) example: $out"

rm -rf "$work"
echo "install_test: OK"
