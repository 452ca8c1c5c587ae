#!/usr/bin/env bash
# measure/smoke: `scripts/measure --quick` into a scratch folder, then its CSV files are
# checked for completeness (every row of the quick sweep, every column numeric) and for
# consistency with each other, with the traces and with what docs/measurements.md states
# in its hand-written text (page cache 0 and no I/O under XIP, XIP RAM <= copy RAM, both
# XIP designs the same RAM, anon and page tables the same under every mount, crunching
# changing RAM only without XIP, no metadata for the NOR segment, record counts equal to
# the traces' I/L/S/M lines, ...); the PNG files are PNG; the page is regenerated on a
# copy, which must differ from the original only inside its marker blocks, each holding
# what the script generated.
#   check_measure.sh SOURCE-DIR BUILD-DIR SCRATCH-DIR
set -euo pipefail
SRC=$1 BUILD=$2 W=$3
rm -rf "$W"
mkdir -p "$W/docs"
cp "$SRC/docs/measurements.md" "$W/docs/measurements.md"
O=$W/out
if ! BUILD_DIR=$BUILD bash "$SRC/scripts/measure" --quick --no-build -o "$O" --doc "$W/docs/measurements.md" \
        >"$W/measure.log" 2>&1; then
    cat "$W/measure.log"
    echo "check_measure: FAIL: scripts/measure --quick exited with an error"
    exit 1
fi

fails=0
fail() { echo "check_measure: FAIL: $*"; fails=$((fails + 1)); }

# -- every file, its header and its rows --
want_header() {   # FILE HEADER ROWS
    local f=$O/$1
    if [ ! -s "$f" ]; then fail "$1 is missing or empty"; return; fi
    [ "$(head -1 "$f")" = "$2" ] || fail "$1: header '$(head -1 "$f")', wanted '$2'"
    local n=$(($(wc -l <"$f") - 1))
    [ "$n" -eq "$3" ] || fail "$1: $n rows, wanted $3"
}
want_header traces.csv "applet,trace_bytes,lines_I,lines_L,lines_S,lines_M,records" 4
want_header ram_procs.csv "mount,procs,records,anon_pages,page_cache_pages,ptp_pages,zero_pages,used_pages,high_water_pages,pv_entries,pv_entries_device,faults,io_requests,io_bytes,auto_exec" 9
want_header crunch.csv "layout,mount,procs,program_files,program_bytes,image_bytes,records,anon_pages,page_cache_pages,ptp_pages,zero_pages,used_pages,high_water_pages,pv_entries,pv_entries_device,faults,io_requests,io_bytes,auto_exec" 6
want_header metadata.csv "ram_mib,nor_mib,page_size,vm_page_bytes,ram_pages,ram_metadata_bytes,nor_pages,nor_metadata_bytes,nor_as_managed_bytes" 3
want_header faults.csv "applet,mount,records,records_I,records_L,records_S,records_M,accesses,upper_direct,upper_promote,lower_direct,lower_promote,zero_fill,error,faults,io_requests,io_bytes,bytes_copied,anon_pages,page_cache_pages,pv_entries,pv_entries_device,auto_exec" 12
want_header fault_cost.csv "class,mount,host_ns,over_zero_fill" 9
want_header tlb.csv "pmap,tlb,mount,workload,procs,quantum,itlb_hits,itlb_misses,dtlb_hits,dtlb_misses,switches,tlb_flushes,faults" 40
for k in command date cpu cores kernel commit build_type busybox seconds; do
    grep -q "^$k,." "$O/run.csv" || fail "run.csv has no $k"
done
[ -s "$O/commands.txt" ] || fail "commands.txt is missing or empty"
for p in measure-ram-procs measure-crunch measure-fault-cost measure-tlb; do
    f=$O/$p.png
    if [ ! -s "$f" ]; then fail "$p.png is missing"; continue; fi
    [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$p.png is not a PNG file"
    [ -s "$W/docs/$p.png" ] || fail "$p.png was not copied beside the regenerated page"
done

# -- the CSV files against each other (one awk over all of them; mawk is enough) --
awk -F, '
function bad(msg) { print "check_measure: FAIL: " msg; nbad++ }
function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?$/ }
function eq(a, b, what) { if (a != b) bad(what ": " a " != " b) }
FNR == 1 { file = FILENAME; sub(/.*\//, "", file); sub(/\.csv$/, "", file); next }
file == "run" || file == "commands" { next }
{
    # every column numeric but the names
    for (i = 1; i <= NF; i++) {
        text = (file == "traces" && i == 1) || (file == "ram_procs" && i == 1) || (file == "crunch" && i <= 2) ||
               (file == "faults" && i <= 2) || (file == "fault_cost" && i <= 2) || (file == "tlb" && (i <= 4 || i == 6))
        if (!text && !num($i)) bad(file ".csv line " FNR ": column " i " is \"" $i "\", not a number")
        if (text && $i == "") bad(file ".csv line " FNR ": column " i " is empty")
    }
}
file == "traces" {
    app[++napp] = $1; trec[$1] = $7; tI[$1] = $3; tL[$1] = $4; tS[$1] = $5; tM[$1] = $6
    eq($3 + $4 + $5 + $6, $7, "traces.csv " $1 ": I+L+S+M against records")
    if ($7 < 1000) bad("traces.csv " $1 ": only " $7 " records")
}
file == "ram_procs" {
    m = $1; n = $2; key = m SUBSEP n
    seen_rp[key]++; rrec[key] = $3; anon[key] = $4; pc[key] = $5; ptp[key] = $6; used[key] = $8; pvd[key] = $11
    # process i replays applet i mod 4
    want = 0
    for (i = 0; i < n; i++) want += trec[app[i % napp + 1]]
    eq($3, want, "ram_procs " m " " n " processes: records against the traces")
    eq($4 + $5 + $6 + $7, $8, "ram_procs " m " " n ": anon + page cache + page tables + zero against in use")
    eq($8, $9, "ram_procs " m " " n ": in use against high water (nothing is freed)")
    eq($15, 0, "ram_procs " m " " n ": auto_exec (a trace outside its program)")
    if (m != "copy") { eq($5, 0, "ram_procs " m " " n ": page cache under XIP"); eq($13, 0, "ram_procs " m " " n ": pager I/O under XIP") }
    else if ($5 == 0 || $13 == 0) bad("ram_procs copy " n ": no page cache or no I/O on a copy mount")
}
file == "crunch" {
    key = $1 SUBSEP $2 SUBSEP $3
    seen_cr[key]++; crec[key] = $7; canon[key] = $8; cpc[key] = $9; cused[key] = $12; cio[key] = $18; files[$1] = $4; bytes[$1] = $5
    eq($8 + $9 + $10 + $11, $12, "crunch " $1 " " $2 ": the parts against in use")
    eq($19, 0, "crunch " $1 " " $2 ": auto_exec")
    if ($2 != "copy") { eq($9, 0, "crunch " $1 " " $2 ": page cache under XIP"); eq($17, 0, "crunch " $1 " " $2 ": I/O under XIP") }
    crn[$3] = 1
}
file == "metadata" {
    eq($5, $1 * 1048576 / $3, "metadata " $1 " MiB: RAM pages")
    eq($6, $5 * $4, "metadata " $1 " MiB: vm_page array bytes")
    eq($7, $2 * 1048576 / $3, "metadata " $2 " MiB NOR: pages")
    eq($8, 0, "metadata " $2 " MiB NOR: metadata of the device segment")
    eq($9, $7 * $4, "metadata " $2 " MiB NOR: as managed pages")
    if ($4 < 16) bad("metadata: vm_page of " $4 " bytes")
    nmd++
}
file == "faults" {
    a = $1; m = $2; key = a SUBSEP m; seen_fa[key]++
    eq($3, trec[a], "faults " a " " m ": records against the trace")
    eq($4, tI[a], "faults " a " " m ": I records"); eq($5, tL[a], "faults " a " " m ": L records")
    eq($6, tS[a], "faults " a " " m ": S records"); eq($7, tM[a], "faults " a " " m ": M records")
    if ($8 < $3) bad("faults " a " " m ": fewer page accesses than records")
    eq($9 + $10 + $11 + $12 + $13 + $14, $15, "faults " a " " m ": classes against total")
    eq($14, 0, "faults " a " " m ": error faults")
    eq($23, 0, "faults " a " " m ": auto_exec")
    if (m != "copy") { eq($16, 0, "faults " a " " m ": I/O under XIP"); eq($20, 0, "faults " a " " m ": page cache under XIP") }
    else if ($16 == 0 || $17 == 0) bad("faults " a " copy: no pager I/O")
    fcopied[key] = $18; fanon[key] = $19; fld[key] = $11
}
file == "fault_cost" {
    key = $1 SUBSEP $2; seen_fc[key]++; ns[key] = $3; ratio[key] = $4
    if ($3 <= 0) bad("fault_cost " $1 " " $2 ": host time " $3)
}
file == "tlb" {
    key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4; seen_tl[key]++; cfg[$1 SUBSEP $2] = 1
    if ($4 == "all four") { I = 0; D = 0; for (i = 1; i <= napp; i++) { I += tI[app[i]]; D += tL[app[i]] + tS[app[i]] + tM[app[i]] } }
    else { I = tI[$4]; D = tL[$4] + tS[$4] + tM[$4] }
    if ($7 + $8 < I) bad("tlb " $1 " " $4 " " $3 ": " $7 + $8 " I-TLB look-ups for " I " fetches")
    if ($9 + $10 < D) bad("tlb " $1 " " $4 " " $3 ": " $9 + $10 " D-TLB look-ups for " D " data records")
    if ($8 == 0 || $10 == 0) bad("tlb " $1 " " $4 " " $3 ": no misses at all")
    if ($4 == "all four") {
        eq($11 > 1000, 1, "tlb " $1 " all four: switches")
        if ($1 == "armv5") eq($12 >= $11 - 1, 1, "tlb armv5 all four: a flush per switch")
        if ($1 == "generic") eq($12, 0, "tlb generic all four: flushes (ASIDs)")
    }
}
END {
    split("xip xip-faultop copy", M, " "); split("1 4 16", N, " ")
    for (i = 1; i <= 3; i++) for (j = 1; j <= 3; j++) if (seen_rp[M[i], N[j]] != 1) bad("ram_procs: no single row for " M[i] " " N[j] " processes")
    for (j = 1; j <= 3; j++) {
        n = N[j]
        if (!(used["xip", n] < used["copy", n])) bad("ram_procs " n ": XIP RAM " used["xip", n] " not below copy RAM " used["copy", n])
        eq(used["xip", n], used["xip-faultop", n], "ram_procs " n ": RAM of the two XIP designs")
        eq(anon["xip", n], anon["copy", n], "ram_procs " n ": anon under xip and copy")
        eq(anon["xip", n], anon["xip-faultop", n], "ram_procs " n ": anon under xip and fault-op")
        eq(ptp["xip", n], ptp["copy", n], "ram_procs " n ": page tables under xip and copy")
        eq(ptp["xip", n], ptp["xip-faultop", n], "ram_procs " n ": page tables under xip and fault-op")
        eq(pvd["xip-faultop", n], 0, "ram_procs " n ": PV entries on NOR under fault-op")
        if (pvd["xip", n] == 0) bad("ram_procs " n ": no PV entries on NOR under xip")
        if (j > 1) for (i = 1; i <= 3; i++) if (used[M[i], n] <= used[M[i], N[j - 1]]) bad("ram_procs " M[i] ": RAM does not grow from " N[j - 1] " to " n " processes")
    }
    eq(pc["copy", 4], pc["copy", 16], "ram_procs copy: page cache with 4 and 16 processes")
    for (n in crn) {
        for (i = 1; i <= 3; i++) {
            if (seen_cr["crunched", M[i], n] != 1 || seen_cr["separate", M[i], n] != 1) bad("crunch: rows missing for " M[i] " " n)
            eq(crec["crunched", M[i], n], crec["separate", M[i], n], "crunch " M[i] " " n ": records of the layouts")
            eq(canon["crunched", M[i], n], canon["separate", M[i], n], "crunch " M[i] " " n ": anon of the layouts")
            if ((M[i] SUBSEP n) in rrec) eq(crec["crunched", M[i], n], rrec[M[i], n], "crunch against ram_procs " M[i] " " n ": records")
            if ((M[i] SUBSEP n) in used) eq(cused["crunched", M[i], n], used[M[i], n], "crunch against ram_procs " M[i] " " n ": RAM (the same run)")
        }
        eq(cused["crunched", "xip", n], cused["separate", "xip", n], "crunch xip " n ": RAM of the layouts")
        eq(cused["crunched", "xip-faultop", n], cused["separate", "xip-faultop", n], "crunch fault-op " n ": RAM of the layouts")
        if (!(cpc["separate", "copy", n] > cpc["crunched", "copy", n])) bad("crunch copy " n ": separate page cache " cpc["separate", "copy", n] " not above crunched " cpc["crunched", "copy", n])
        if (!(cio["separate", "copy", n] > cio["crunched", "copy", n])) bad("crunch copy " n ": separate I/O bytes " cio["separate", "copy", n] " not above crunched " cio["crunched", "copy", n])
    }
    eq(files["crunched"], 1, "crunch: program files of the crunched layout")
    eq(files["separate"], napp, "crunch: program files of the separate layout")
    eq(bytes["separate"], napp * bytes["crunched"], "crunch: program bytes of the separate layout")
    eq(nmd, 3, "metadata rows")
    for (i = 1; i <= napp; i++) {
        a = app[i]
        for (j = 1; j <= 3; j++) if (seen_fa[a, M[j]] != 1) bad("faults: no single row for " a " " M[j])
        eq(fcopied[a, "xip"], fcopied[a, "copy"], "faults " a ": bytes copied by promotion, xip and copy")
        eq(fcopied[a, "xip"], fcopied[a, "xip-faultop"], "faults " a ": bytes copied by promotion, xip and fault-op")
        eq(fanon[a, "xip"], fanon[a, "copy"], "faults " a ": anon pages, xip and copy")
        eq(fanon[a, "xip"], fanon[a, "xip-faultop"], "faults " a ": anon pages, xip and fault-op")
        if (!(fld[a, "copy"] > fld[a, "xip"])) bad("faults " a ": copy takes no more lower-direct faults than xip")
    }
    split("zero-fill anon,upper-promote anon,upper-direct anon,lower-direct xip,lower-direct xip-faultop,lower-direct copy,lower-promote xip,lower-promote xip-faultop,lower-promote copy", FC, ",")
    for (i = 1; i <= 9; i++) {
        split(FC[i], kv, " ")
        if (seen_fc[kv[1], kv[2]] != 1) { bad("fault_cost: no single row for " FC[i]); continue }
        r = ns[kv[1], kv[2]] / ns["zero-fill", "anon"]
        if (r / ratio[kv[1], kv[2]] < 0.98 || r / ratio[kv[1], kv[2]] > 1.02) bad("fault_cost " FC[i] ": ratio " ratio[kv[1], kv[2]] " but host times say " r)
    }
    ncfg = 0
    for (c in cfg) ncfg++
    eq(ncfg, 4, "tlb: configurations")
    for (c in cfg) for (j = 1; j <= 2; j++) {
        mm = (j == 1 ? "xip" : "copy")
        for (i = 1; i <= napp; i++) if (seen_tl[c, mm, app[i]] != 1) bad("tlb: no single row for " app[i] " " mm)
        if (seen_tl[c, mm, "all four"] != 1) bad("tlb: no single row for all four " mm)
    }
    if (nbad) exit 1
}' "$O/traces.csv" "$O/ram_procs.csv" "$O/crunch.csv" "$O/metadata.csv" "$O/faults.csv" "$O/fault_cost.csv" \
    "$O/tlb.csv" || fails=$((fails + 1))

# -- the page: regenerated inside its markers only, with what the script generated --
outside() { awk '/^<!-- \/measure:[a-z_]+ -->$/ { inside = 0 } !inside { print } /^<!-- measure:[a-z_]+ -->$/ { inside = 1 }' "$1"; }
if ! diff <(outside "$SRC/docs/measurements.md") <(outside "$W/docs/measurements.md") >"$W/outside.diff"; then
    fail "the regenerated page changed outside its marker blocks:"
    cat "$W/outside.diff"
fi
nblocks=0
for frag in "$O"/doc/*.md; do
    name=$(basename "$frag" .md)
    got=$(awk -v n="$name" '$0 == "<!-- /measure:" n " -->" { inside = 0 } inside { print } $0 == "<!-- measure:" n " -->" { inside = 1 }' \
        "$W/docs/measurements.md")
    [ -n "$got" ] && [ "$got" = "$(cat "$frag")" ] || fail "block $name of the regenerated page is not $frag"
    grep -q "not generated yet" <<<"$got" && fail "block $name still says 'not generated yet'"
    nblocks=$((nblocks + 1))
done
[ "$nblocks" -ge 13 ] || fail "only $nblocks generated blocks"
# the committed page shows plots that are committed beside it
for png in $(grep -o '](measure-[a-z-]*\.png)' "$SRC/docs/measurements.md" | tr -d '()]'); do
    [ -s "$SRC/docs/$png" ] || fail "docs/measurements.md shows $png, which is not in docs/"
done

if [ $fails -gt 0 ]; then
    echo "check_measure: $fails failure(s); the run's log:"
    cat "$W/measure.log"
    exit 1
fi
echo "check_measure: OK ($(grep '^seconds,' "$O/run.csv" | cut -d, -f2) s for scripts/measure --quick)"
