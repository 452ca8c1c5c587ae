#!/usr/bin/env bash
# The library's layers call and include one way only (docs/layering.md):
#
#   machine   the core: machine instance, physical memory, vm_page, events, random
#   flashdev  -> machine
#   fs        -> flashdev, machine
#   pmap_sim  -> machine
#   vm        -> pmap_sim, fs, flashdev, machine        (the fault handler meets them all)
#   replay    -> vm and everything below it
#
# Checked two ways: every `#include "../X/..."` in src/S names a layer S may use, and every
# undefined uvmsim_* symbol of an object file of S is defined by S itself or by a layer S
# may use (nm over the library's object files).
#   check_layers.sh SOURCE_DIR OBJECT_FILE...   (the library's objects: $<TARGET_OBJECTS:...>)
set -euo pipefail
src=$1
shift
objs=("$@")

layer_of() {   # the layer of an object file: the folder after .../src/
    sed -n 's|.*/src/\([a-z_]*\)/[^/]*$|\1|p' <<<"$1"
}

allowed() {   # allowed LAYER -> the layers it may use, itself included
    case $1 in
        machine)  echo "machine" ;;
        flashdev) echo "flashdev machine" ;;
        fs)       echo "fs flashdev machine" ;;
        pmap_sim) echo "pmap_sim machine" ;;
        vm)       echo "vm pmap_sim fs flashdev machine" ;;
        replay)   echo "replay vm pmap_sim fs flashdev machine" ;;
        *)        return 1 ;;
    esac
}

fail=0
layers=()
for d in "$src"/src/*/; do
    l=$(basename "$d")
    allowed "$l" >/dev/null || continue     # cli, builtin, tool: programs, not the library
    layers+=("$l")
done
[ ${#layers[@]} -ge 5 ] || { echo "check_layers: found only ${layers[*]} under $src/src"; exit 1; }

# 1. includes
for l in "${layers[@]}"; do
    ok=" $(allowed "$l") "
    while IFS= read -r hit; do
        file=${hit%%:*}
        target=$(sed -n 's|.*#include "\.\./\([a-z_]*\)/.*|\1|p' <<<"$hit")
        if [[ $ok != *" $target "* ]]; then
            echo "check_layers: ${file#"$src"/}: $l includes from $target (allowed: $(allowed "$l"))"
            fail=1
        fi
    done < <(grep -H '#include "\.\./' "$src/src/$l"/*.[ch] 2>/dev/null || true)
done

# 2. symbols: which layer defines each uvmsim_* symbol, then what each layer needs
declare -A def=()
for o in "${objs[@]}"; do
    l=$(layer_of "$o")
    allowed "$l" >/dev/null || { echo "check_layers: $o is in no known layer"; fail=1; continue; }
    while read -r sym; do
        def[$sym]=$l
    done < <(nm --defined-only -g "$o" | awk '$3 ~ /^uvmsim_/ {print $3}')
done
nsyms=${#def[@]}
[ "$nsyms" -gt 100 ] || { echo "check_layers: only $nsyms symbols defined: wrong object files?"; exit 1; }
for o in "${objs[@]}"; do
    l=$(layer_of "$o")
    ok=" $(allowed "$l") "
    while read -r sym; do
        owner=${def[$sym]:-}
        [ -n "$owner" ] || continue          # libc, libelf, zlib
        if [[ $ok != *" $owner "* ]]; then
            echo "check_layers: src/$l/$(basename "$o"): $l calls $sym, defined in $owner"
            fail=1
        fi
    done < <(nm -u "$o" | awk '$2 ~ /^uvmsim_/ {print $2}')
done
if [ $fail -ne 0 ]; then
    exit 1
fi
echo "check_layers: OK (${layers[*]}; $nsyms symbols)"
