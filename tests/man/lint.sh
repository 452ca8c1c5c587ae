#!/usr/bin/env bash
# man/lint: `mandoc -T lint` over every manual page in man/, in one run (so the pages'
# references to each other resolve).  Any message fails the test, except two that depend
# on the host's installed manuals and not on our pages: a reference to a page of another
# package that this host lacks ("referenced manual not found" for a name not in man/),
# and mandoc's notice that the system's mandoc.db is out of date.  Those are printed as
# notes.
#   lint.sh MANDOC MAN_DIR
set -euo pipefail
mandoc=$1 dir=$2
cd "$dir"
shopt -s nullglob
pages=(*.[1-9])
[ ${#pages[@]} -gt 0 ] || { echo "man/lint: FAIL: no pages in $dir"; exit 1; }

rc=0
out=$("$mandoc" -T lint "${pages[@]}" 2>&1) || rc=$?
bad=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    if [[ $line =~ referenced\ manual\ not\ found:\ Xr\ ([^ ]+)\ ([0-9]) ]]; then
        ref=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
        if [ ! -f "$ref" ]; then
            echo "note (host): $line"
            continue
        fi
    elif [[ $line == *"outdated mandoc.db"* ]]; then
        echo "note (host): $line"
        continue
    fi
    echo "$line"
    bad=$((bad + 1))
done <<<"$out"
# mandoc's status: 0 clean, 1 style messages only, 2 and up warnings, errors, failures.
if [ "$rc" -ge 2 ] || [ "$bad" -gt 0 ]; then
    echo "man/lint: FAIL: $bad message(s), mandoc exit status $rc"
    exit 1
fi
echo "man/lint: OK: ${#pages[@]} pages (${pages[*]})"
