#!/usr/bin/env bash
# man/help-*, man/scenario, man/library: the manual pages (man/) cannot fall behind the
# programs silently.  Each mode reads what a program itself says (its --help, or the
# scenario parser's own lists of valid words) and fails naming everything its page lacks.
#
#   check_pages.sh program  PAGE PROGRAM    every --option (and -x short option) that
#                                           PROGRAM --help lists is an .It Fl entry of
#                                           PAGE, and the help names PAGE, e.g. "physmap(1)"
#   check_pages.sh uvmsim   PAGE UVMSIM     every command of `uvmsim --help` has a
#                                           subsection ".Ss uvmsim CMD" whose .It Fl
#                                           entries hold every option of `uvmsim help CMD`
#                                           (--help and --version: anywhere in the page),
#                                           and each help names uvmsim(1)
#   check_pages.sh scenario PAGE UVMSIM SRC every command, expect check, counter, machine
#                                           key, map option and entry property the parser
#                                           lists in its messages, and every counter field
#                                           of src/cli/scn_keys.c, is in PAGE
#   check_pages.sh library  PAGE INCLUDE    every UVMSIM_API function of INCLUDE/uvmsim/*.h
#                                           (builtin.h excepted) is named by .Fn in PAGE
# Options named in a page but absent from --help are printed as notes (a subcommand
# documented before it landed, or an option since removed).
set -euo pipefail
mode=$1 page=$2
shift 2
[ -f "$page" ] || { echo "check_pages: FAIL: no page $page"; exit 1; }
name=$(basename "$page")
missing=()
miss() { missing+=("$1"); }

# Has the page an .It line holding "Fl WORD" (WORD: "-json" for --json, "p" for -p)?
# Reads the page (or a section of it) on stdin.
has_it_fl() {
    grep -qE "^\.It( |.* )Fl ${1}( |\$)"
}
long_opts() { grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
short_opts() { grep -oE -- '^ +-[a-zA-Z],' | tr -d ' ,' | sort -u; }
# The page's own .Fl entries, for the notes.
page_long_opts() { grep -E '^\.It' | grep -oE 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl -/--/' | sort -u; }

check_help_opts() {   # HELP-TEXT SECTION-TEXT WHERE
    local help=$1 section=$2 where=$3 o
    for o in $(long_opts <<<"$help"); do
        case $o in --help | --version) continue ;; esac
        has_it_fl "-${o#--}" <<<"$section" || miss "$where: option $o (no '.It Fl -${o#--}')"
    done
    for o in $(short_opts <<<"$help"); do
        has_it_fl "${o#-}" <<<"$section" || miss "$where: option $o (no '.It Fl ${o#-}')"
    done
}

# The parenthesised list after MARKER in TEXT: "(expected a, b, c or d)" -> a b c d.
paren_list() {   # TEXT MARKER
    local rest=${1#*"$2"}
    rest=${rest#*(}
    rest=${rest%%)*}
    rest=${rest#expected }
    sed -e 's/ or /, /g' <<<"$rest" | tr ',' '\n' | sed -e 's/^ *//' -e 's/ *$//' | grep -v '^$'
}

case $mode in
program)
    prog=$1
    help=$("$prog" --help)
    title=${name%.*}
    sec=${name##*.}
    grep -qF "$title($sec)" <<<"$help" || miss "$(basename "$prog") --help does not name $title($sec)"
    check_help_opts "$help" "$(cat "$page")" "$(basename "$prog") --help"
    for o in --help --version; do
        has_it_fl "-${o#--}" <"$page" || miss "option $o (no '.It Fl -${o#--}')"
    done
    for o in $(page_long_opts <"$page"); do
        grep -qE -- "${o}([^a-z0-9-]|\$)" <<<"$help" || echo "note: $name documents $o, which --help does not list"
    done
    ;;
uvmsim)
    uvmsim=$1
    main=$("$uvmsim" --help)
    grep -qF "uvmsim(1)" <<<"$main" || miss "uvmsim --help does not name uvmsim(1)"
    cmds=$(sed -n '/^Commands:/,/^[^ C]/p' <<<"$main" | grep -E '^  [a-z]' | awk '{print $1}')
    [ -n "$cmds" ] || miss "no commands found in uvmsim --help"
    for o in --help --version; do
        has_it_fl "-${o#--}" <"$page" || miss "option $o (no '.It Fl -${o#--}')"
    done
    for c in $cmds; do
        if ! grep -qx "\.Ss uvmsim $c" "$page"; then
            miss "command $c (no '.Ss uvmsim $c')"
            continue
        fi
        # the subsection: from its .Ss line to the next .Ss or .Sh
        section=$(awk -v h=".Ss uvmsim $c" '$0 == h {on = 1; next} on && /^\.S[sh] / {exit} on' "$page")
        help=$("$uvmsim" help "$c")
        grep -qF "uvmsim(1)" <<<"$help" || miss "uvmsim help $c does not name uvmsim(1)"
        check_help_opts "$help" "$section" "uvmsim help $c"
        for o in $(page_long_opts <<<"$section"); do
            grep -qE -- "${o}([^a-z0-9-]|\$)" <<<"$help" || echo "note: $name documents $o for '$c', which 'uvmsim help $c' does not list"
        done
    done
    for s in $(sed -n 's/^\.Ss uvmsim //p' "$page"); do
        grep -qx "$s" <<<"$cmds" || echo "note: $name has a section for 'uvmsim $s', which uvmsim --help does not list"
    done
    ;;
scenario)
    uvmsim=$1 src=$2
    # What the parser says when given a word it does not know.
    msg() { printf '%b' "$1" | "$uvmsim" run - 2>&1 >/dev/null || true; }
    cmds=$(paren_list "$(msg 'frobnicate\n')" "unknown command")
    [ -n "$cmds" ] || miss "no command list in the parser's message"
    for c in $cmds; do
        # ".It Cm NAME ..." or, for a long head, ".It Xo" then ".Cm NAME ..."
        awk -v c="$c" '{ if ($1 == ".It" && $2 == "Cm" && $3 == c) f = 1;
                         if (prev == ".It Xo" && $1 == ".Cm" && $2 == c) f = 1; prev = $0 }
                       END { exit !f }' "$page" || miss "command $c (no '.It Cm $c')"
    done
    expect_msg=$(msg 'spawn p\nexpect frobnicate\n')
    checks=$(sed -n 's/.*(checks: \([^;]*\);.*/\1/p' <<<"$expect_msg" | tr ',' '\n' | sed 's/^ *//')
    [ -n "$checks" ] || miss "no check list in the parser's expect message"
    for c in $checks; do
        grep -qE "^\.It Cm expect $c( |\$)" "$page" || miss "expect $c (no '.It Cm expect $c')"
    done
    counters=$(sed -n 's/.*; counters: \(.*\))$/\1/p' <<<"$expect_msg" | sed 's/{[^}]*}//g' | tr ',' '\n' | sed 's/^ *//; s/ .*//')
    for k in $counters; do
        case $k in
        NAME.) continue ;;
        *.) grep -qE "Cm ${k//./\\.}\*" "$page" || miss "counters $k* (no 'Cm $k*')" ;;
        *) grep -qE "^\.It Cm $k\$" "$page" || miss "step counter $k (no '.It Cm $k')" ;;
        esac
    done
    for k in $(paren_list "$(msg 'machine frobnicate=1\n')" "unknown option"); do
        grep -qE "^\.It Cm $k Ns =" "$page" || miss "machine key $k (no '.It Cm $k Ns =')"
    done
    for k in $(paren_list "$(msg 'spawn p\nmap p 0 frobnicate=1\n')" "unknown option"); do
        grep -qE "Cm $k( Ns =|\$| )" "$page" || miss "map option $k (no 'Cm $k')"
    done
    for k in $(paren_list "$(msg 'spawn p\nmap p 0x10000\nexpect entry p 0x10000 frobnicate=1\n')" "unknown property"); do
        grep -qE "Cm $k( |\$)" "$page" || miss "entry property $k (no 'Cm $k')"
    done
    # counter fields: the parser's tables (F(struct, field) entries of scn_keys.c)
    fields=$(grep -oE 'F\(uvmsim_[a-z_]+_stats, [a-z_]+\)' "$src/src/cli/scn_keys.c" | sed -E 's/.*, ([a-z_]+)\)/\1/' | sort -u)
    [ -n "$fields" ] || miss "no counter fields found in $src/src/cli/scn_keys.c"
    for f in $fields; do
        grep -qE "^\.Cm $f( |\$)" "$page" || miss "counter field $f (no '.Cm $f')"
    done
    ;;
library)
    inc=$1
    headers=()
    for h in "$inc"/uvmsim/*.h; do
        [ "$(basename "$h")" = builtin.h ] || headers+=("$h")
    done
    funcs=$(grep -hE 'UVMSIM_API' "${headers[@]}" | grep -oE '\buvmsim_[a-z0-9_]+\(' | tr -d '(' | sort -u)
    [ -n "$funcs" ] || miss "no UVMSIM_API functions found under $inc/uvmsim"
    for f in $funcs; do
        grep -qE "Fn $f( |\$)" "$page" || miss "function $f (no 'Fn $f')"
    done
    ;;
*)
    echo "check_pages: unknown mode '$mode'"
    exit 2
    ;;
esac

if [ ${#missing[@]} -gt 0 ]; then
    for m in "${missing[@]}"; do
        echo "  missing from $name: $m"
    done
    echo "check_pages: FAIL: $name: ${#missing[@]} missing"
    exit 1
fi
echo "check_pages: OK: $name ($mode)"
