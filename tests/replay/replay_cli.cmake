# replay/cli: `uvmsim replay` end to end — usage errors with the option and value named,
# input errors as FILE:LINE, --lenient, standard input (plain and gzip), --image none,
# JSON/CSV/table output and the keys the issue names, --trace, and with the build's
# busybox data: the default run, --procs 8 under XIP and copy, that --no-fast-path
# changes no number, and --superpages on against off on the aligned image.
#   cmake -DUVMSIM=uvmsim -DSRC=source-dir -DWORK=scratch -DBUILT=0|1 -DREPLAY_DIR=dir
#         [-DPYTHON3=python3] -P replay_cli.cmake

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(SMALL ${SRC}/tests/replay/small.trace)

include(${SRC}/tests/cli/cli_run.cmake)   # run() and has()

# A JSON check in Python when there is one: jq-like key paths must exist (and compare).
function(json name text)
  if(NOT PYTHON3)
    return()
  endif()
  file(WRITE ${WORK}/${name}.json "${text}")
  execute_process(COMMAND ${PYTHON3} -c "
import json, sys
d = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    cur = d
    for k in path.split('/'):
        if k not in cur:
            sys.exit('missing key ' + path)
        cur = cur[k]
" ${WORK}/${name}.json ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${name}: JSON check failed: ${out}\n${text}")
  endif()
endfunction()

# Python: a numeric JSON value
function(jget name text key var)
  if(NOT PYTHON3)
    set(${var} "" PARENT_SCOPE)
    return()
  endif()
  file(WRITE ${WORK}/${name}.json "${text}")
  execute_process(COMMAND ${PYTHON3} -c "
import json, sys
cur = json.load(open(sys.argv[1]))
for k in sys.argv[2].split('/'):
    cur = cur[k]
print(cur, end='')
" ${WORK}/${name}.json ${key} OUTPUT_VARIABLE v RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "${name}: no ${key}")
  endif()
  set(${var} "${v}" PARENT_SCOPE)
endfunction()

set(KEYS records skipped_lines accesses faults/upper-direct faults/upper-promote faults/lower-direct
    faults/lower-promote faults/zero-fill faults/error faults/total tlb/hits tlb/misses ram_pages/anon
    ram_pages/object ram_pages/ptp pv_entries pv_entries_device auto_regions io_requests bytes_copied
    seconds records_per_second superpages large_mappings demotions tlb_reach bytes/fetched)

# --- help and usage errors ---
run(help 0 ARGS replay --help)
has(help help_out "usage: uvmsim replay [OPTIONS] [TRACE...]")
run(version 0 ARGS replay --version)
has(version version_out "uvmsim replay (uvmsim) ")
run(eqform 0 ARGS replay --image=none --procs=2 --json ${SMALL})
has(eqform eqform_out "\"records\": 28,")
run(bogus 2 ARGS replay --bogus)
has(bogus bogus_err "uvmsim replay: unknown option '--bogus'")
foreach(bad "1x" "-1" " 5" "0x" "1e3")
  string(MAKE_C_IDENTIFIER "procs_${bad}" tag)
  run(${tag} 2 ARGS replay --image none --procs "${bad}" ${SMALL})
  has(${tag} ${tag}_err "uvmsim replay: --procs: '${bad}' is not a number (a whole number from 1 to 1024)")
endforeach()
foreach(bad "0" "1025" "99999999999999999999999")
  run(procs_range_${bad} 2 ARGS replay --image none --procs "${bad}" ${SMALL})
  has(procs_range_${bad} procs_range_${bad}_err "uvmsim replay: --procs: '${bad}'")
endforeach()
run(noval 2 ARGS replay ${SMALL} --quantum)
has(noval noval_err "uvmsim replay: --quantum needs a value")
run(quantum0 2 ARGS replay --image none --quantum 0 ${SMALL})
has(quantum0 quantum0_err "uvmsim replay: --quantum: '0' is out of range")
run(threads0 2 ARGS replay --image none --threads 0 ${SMALL})
has(threads0 threads0_err "uvmsim replay: --threads: '0' is out of range")
run(threadsx 2 ARGS replay --image none --threads two ${SMALL})
has(threadsx threadsx_err "--threads")
run(threads65 2 ARGS replay --image none --threads 65 ${SMALL})
has(threads65 threads65_err "uvmsim replay: --threads: '65' is out of range (1 to 64)")
run(mount 2 ARGS replay --image none --mount nope ${SMALL})
has(mount mount_err "uvmsim replay: --mount: no 'nope' (valid: xip copy xip-faultop)")
run(pmap 2 ARGS replay --image none --pmap nope ${SMALL})
has(pmap pmap_err "uvmsim replay: --pmap: no 'nope' (valid: generic armv5 fass)")
run(tlb 2 ARGS replay --image none --tlb 64/x ${SMALL})
has(tlb tlb_err "uvmsim replay: --tlb: expected WAYS as a number up to ENTRIES or 'full', got 'x'")
run(page 2 ARGS replay --image none --page 1000 ${SMALL})
has(page page_err "uvmsim replay: --page: '1000' is not a power of two")
run(ram 2 ARGS replay --image none --ram 5 ${SMALL})
has(ram ram_err "uvmsim replay: --ram: '5' is out of range (1048576 to")
run(ramx 2 ARGS replay --image none --ram 64Q ${SMALL})
run(both 2 ARGS replay --image none --json --csv ${SMALL})
has(both both_err "--json and --csv: choose one")
run(relprog 2 ARGS replay --image x.img --program bin/x ${SMALL})
has(relprog relprog_err "--program: expected an absolute path in the image, got 'bin/x'")
run(noprog 2 ARGS replay --image ${WORK}/other.img ${SMALL})
has(noprog noprog_err "which program? give --program PATH")
run(noneprog 2 ARGS replay --image none --program /bin/x ${SMALL})
has(noneprog noneprog_err "--image none has no programs")
run(progcount 2 ARGS replay --image x.img --program /bin/a --program /bin/b ${SMALL})
has(progcount progcount_err "uvmsim replay: --program given 2 times for 1 TRACE: give it once")
run(progcount3 2 ARGS replay --image x.img --program /bin/a --program /bin/b --program /bin/c ${SMALL} ${SMALL})
has(progcount3 progcount3_err "--program given 3 times for 2 TRACEs")
run(relprog2 2 ARGS replay --image x.img --program /bin/a --program b ${SMALL} ${SMALL})
has(relprog2 relprog2_err "--program: expected an absolute path in the image, got 'b'")
run(noimage 2 ARGS replay --image ${WORK}/missing.img --program /bin/x ${SMALL})
has(noimage noimage_err "uvmsim replay: --image ${WORK}/missing.img:")

# --- input errors and lenient ---
file(WRITE ${WORK}/bad.trace "==1== x\nI  00401000,4\n L 1ffefff00g,8\n S 1ffefff000,8\n")
run(badrec 2 ARGS replay --image none ${WORK}/bad.trace)
has(badrec badrec_err "uvmsim replay: ${WORK}/bad.trace:3: malformed record: bad hex digit 'g' in the address")
run(lenient 0 ARGS replay --image none --lenient --json ${WORK}/bad.trace)
has(lenient lenient_out "\"records\": 2,")
has(lenient lenient_out "\"malformed\": 1,")
run(missing 2 ARGS replay --image none ${WORK}/nope.trace)
has(missing missing_err "${WORK}/nope.trace: cannot open: No such file or directory")

# --- no program, standard input, gzip ---
run(none 0 ARGS replay --image none --json ${SMALL})
json(none "${none_out}" ${KEYS})
has(none none_out "\"records\": 14,")
has(none none_out "\"skipped_lines\": 6,")
has(none none_out "\"split_records\": 3,")
run(stdin 0 STDIN ${SMALL} ARGS replay --image none --json -)
has(stdin stdin_out "\"records\": 14,")
has(stdin stdin_out "\"traces\": [\"-\"]")
file(COPY ${SMALL} DESTINATION ${WORK}/gz)
file(ARCHIVE_CREATE OUTPUT ${WORK}/small.trace.gz PATHS ${WORK}/gz/small.trace FORMAT raw COMPRESSION GZip)
run(gzfile 0 ARGS replay --image none --json ${WORK}/small.trace.gz)
has(gzfile gzfile_out "\"records\": 14,")
run(gzstdin 0 STDIN ${WORK}/small.trace.gz ARGS replay --image none --json -)
has(gzstdin gzstdin_out "\"records\": 14,")
run(stdin2 2 STDIN ${SMALL} ARGS replay --image none --procs 2 -)
has(stdin2 stdin2_err "- (standard input) can feed one process only (2 would read it)")
run(cycled 0 STDIN ${SMALL} ARGS replay --image none --procs 3 --quantum 2 --json ${SMALL} -)
has(cycled cycled_out "\"records\": 42,")
run(csv 0 ARGS replay --image none --csv ${SMALL})
has(csv csv_out "key,value\nrecords,14\n")
has(csv csv_out "faults.total,")
run(table 0 ARGS replay --image none ${SMALL})
has(table table_out "  records          14 (I 6, L 3, S 3, M 2); 6 other lines skipped")
run(arm 0 ARGS replay --image none --pmap armv5 --json ${SMALL})
has(arm arm_out "\"folded\":")
# the ARM machine's own TLBs (SA-1100: split) are reported as split
has(arm arm_out "\"itlb\": {\"hits\": ")
run(armcsv 0 ARGS replay --image none --pmap fass --csv ${SMALL})
has(armcsv armcsv_out "tlb.itlb.misses,")
run(gencsv 0 ARGS replay --image none --csv ${SMALL})
string(FIND "${gencsv_out}" "tlb.itlb" at)
if(NOT at EQUAL -1)
  message(SEND_ERROR "gencsv: a unified TLB reported as split:\n${gencsv_out}")
endif()
run(tracef 0 ARGS replay --image none --trace ${WORK}/events.jsonl ${SMALL})
file(READ ${WORK}/events.jsonl events)
has(tracef events "\"type\":\"fault\"")
has(tracef events "\"record\":1,")
run(tracebad 2 ARGS replay --image none --trace ${WORK}/no/such/dir/e.jsonl ${SMALL})
has(tracebad tracebad_err "--trace ${WORK}/no/such/dir/e.jsonl: cannot open")

# --- the build's busybox traces ---
if(NOT BUILT)
  run(default 2 ARGS replay)
  has(default default_err "no TRACE given, and this build has no busybox image or traces")
  return()
endif()
run(default 0 ARGS replay --json)
json(default "${default_out}" ${KEYS} traces image program mount pmap)
has(default default_out "\"program\": \"/bin/busybox\"")
has(default default_out "\"faults\": {\"upper-direct\": ")
run(deftable 0 ARGS replay)
has(deftable deftable_out "program /bin/busybox from ${REPLAY_DIR}/busybox.img (xip mount)")
run(split 0 ARGS replay --tlb 32/4/lru/split --json)
json(split "${split_out}" tlb/itlb/hits tlb/dtlb/hits tlb/hits)
run(x8 0 ARGS replay --procs 8 --json ${REPLAY_DIR}/traces/sh.trace)
run(c1 0 ARGS replay --mount copy --json ${REPLAY_DIR}/traces/sh.trace)
run(c8 0 ARGS replay --procs 8 --mount copy --json ${REPLAY_DIR}/traces/sh.trace)
has(x8 x8_out "\"object\": 0,")
jget(c1 "${c1_out}" ram_pages/object c1obj)
jget(c8 "${c8_out}" ram_pages/object c8obj)
if(PYTHON3 AND (NOT c1obj STREQUAL c8obj OR c1obj LESS 20))
  message(SEND_ERROR "copy mount: page cache ${c1obj} pages with 1 process, ${c8obj} with 8 (wanted the same, > 20)")
endif()
run(fast 0 ARGS replay --pmap fass --procs 2 --json ${REPLAY_DIR}/traces/sh.trace)
run(slow 0 ARGS replay --pmap fass --procs 2 --no-fast-path --json ${REPLAY_DIR}/traces/sh.trace)
string(REGEX REPLACE "\"seconds\":.*" "" fastn "${fast_out}")
string(REGEX REPLACE "\"seconds\":.*" "" slown "${slow_out}")
if(NOT fastn STREQUAL slown)
  message(SEND_ERROR "--no-fast-path changed a number:\n${fast_out}\n${slow_out}")
endif()
# --threads: the same numbers with one thread and with helpers (also with a budget per
# call: --procs 2 with explicit threads), and usage errors for a bad count
run(th1 0 ARGS replay --threads 1 --json ${REPLAY_DIR}/traces/ls.trace)
run(th3 0 ARGS replay --threads 3 --json ${REPLAY_DIR}/traces/ls.trace)
run(thp 0 ARGS replay --pmap fass --procs 2 --threads 2 --json ${REPLAY_DIR}/traces/sh.trace)
string(REGEX REPLACE "\"seconds\":.*" "" th1n "${th1_out}")
string(REGEX REPLACE "\"seconds\":.*" "" th3n "${th3_out}")
string(REGEX REPLACE "\"seconds\":.*" "" thpn "${thp_out}")
if(NOT th1n STREQUAL th3n OR NOT thpn STREQUAL fastn)
  message(SEND_ERROR "--threads changed a number:\n${th1_out}\n${th3_out}\n${thp_out}\n${fast_out}")
endif()
# --- superpages (docs/superpages.md) ---
run(spbad 2 ARGS replay --image none --superpages maybe ${SMALL})
has(spbad spbad_err "--superpages")
has(spbad spbad_err "maybe")
# on against off: the same program, records, bytes and kinds of fault but lower-direct;
# under XIP large mappings, fewer TLB misses (the I-TLB's when split), no more
# lower-direct faults (a large page maps what several one-page faults did), a larger
# TLB reach.  Every backend maps busybox's text with 64 KiB pages (generic: contiguous
# runs of 16 PTEs); none of it holds an aligned 1 MiB or 2 MiB.
file(WRITE ${WORK}/spcheck.py "
import json, sys
off = json.load(open(sys.argv[1])); on = json.load(open(sys.argv[2])); what = sys.argv[3]
bad = []
for k in ('program', 'records', 'accesses', 'bytes', 'bytes_copied', 'io_requests'):
    if on[k] != off[k]: bad.append('%s differs: %s vs %s' % (k, on[k], off[k]))
for c, n in off['faults'].items():
    if c in ('lower-direct', 'total'): continue
    if on['faults'][c] != n: bad.append('faults/%s differs' % c)
if on['faults']['error'] != 0: bad.append('error faults')
if off['large_mappings'] != 0: bad.append('large mappings with superpages off')
if on['large_mappings'] <= 0: bad.append('no large mapping')
t_on, t_off = on['tlb'], off['tlb']
if 'itlb' in t_on: t_on, t_off = t_on['itlb'], t_off['itlb']
if t_on['misses'] >= t_off['misses']: bad.append('TLB misses not fewer: %s vs %s' % (t_on['misses'], t_off['misses']))
if on['faults']['lower-direct'] > off['faults']['lower-direct']: bad.append('more lower-direct faults')
if on['tlb_reach'] <= off['tlb_reach']: bad.append('TLB reach not larger')
if bad: sys.exit(what + ': ' + '; '.join(bad))
")
function(sp_compare what off_text on_text)
  if(NOT PYTHON3)
    return()
  endif()
  file(WRITE ${WORK}/sp_off.json "${off_text}")
  file(WRITE ${WORK}/sp_on.json "${on_text}")
  execute_process(COMMAND ${PYTHON3} ${WORK}/spcheck.py ${WORK}/sp_off.json ${WORK}/sp_on.json "${what}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(SEND_ERROR "superpages on/off, ${what}: ${out}")
  endif()
endfunction()
# The issue's own command, defaults otherwise (generic backend, its unified TLB, the ls
# trace; on takes the aligned image, off the plain one)
run(spdef 0 ARGS replay --superpages on --json)
has(spdef spdef_out "\"image\": \"${REPLAY_DIR}/busybox-aligned.img\"")
has(spdef spdef_out "\"superpages\": \"on\"")
has(spdef spdef_out "\"pmap\": \"generic\"")
run(spdefoff 0 ARGS replay --superpages off --json)
sp_compare("uvmsim replay --superpages on|off --json" "${spdefoff_out}" "${spdef_out}")
# per backend with the SA-1100's split TLBs, on the aligned image both ways
set(AIMG --image ${REPLAY_DIR}/busybox-aligned.img --program /bin/busybox)
foreach(be armv5 fass generic)
  foreach(tr ls sort)
    run(sp_${be}_${tr}_off 0 ARGS replay ${AIMG} --pmap ${be} --tlb 32/full/fifo/split --superpages off --json
        ${REPLAY_DIR}/traces/${tr}.trace)
    run(sp_${be}_${tr}_on 0 ARGS replay ${AIMG} --pmap ${be} --tlb 32/full/fifo/split --superpages on --json
        ${REPLAY_DIR}/traces/${tr}.trace)
    sp_compare("${be}, ${tr}.trace" "${sp_${be}_${tr}_off_out}" "${sp_${be}_${tr}_on_out}")
  endforeach()
endforeach()
# scripts/superpages-qualify: the aligned image's text qualifies for 64 KiB pages, and the
# replays made no more 64 KiB mappings than the qualifying pages of all segments allow
if(PYTHON3)
  execute_process(COMMAND ${PYTHON3} ${SRC}/scripts/superpages-qualify ${REPLAY_DIR}/busybox-aligned.img /bin/busybox
                          ${REPLAY_DIR}/root/bin/busybox RESULT_VARIABLE rc OUTPUT_VARIABLE q ERROR_VARIABLE qerr)
  if(NOT rc EQUAL 0 OR NOT q MATCHES "\nRE +0x[0-9a-f]+-0x[0-9a-f]+ +[0-9]+ pages; in qualifying large pages: 64 KiB: ([1-9][0-9]*),")
    message(SEND_ERROR "superpages-qualify: ${rc} ${qerr}\n${q}")
  else()
    string(REGEX MATCHALL "64 KiB: [0-9]+" counts "${q}")
    set(qall 0)
    foreach(c ${counts})
      string(REGEX REPLACE "64 KiB: " "" c "${c}")
      math(EXPR qall "${qall} + ${c}")
    endforeach()
    foreach(be armv5 generic)
      jget(spq "${sp_${be}_ls_on_out}" large_mappings splarge)
      math(EXPR splarge_pages "${splarge} * 16")
      if(splarge_pages GREATER qall OR splarge EQUAL 0)
        message(SEND_ERROR "superpages-qualify: ${qall} pages qualify, yet ${splarge} large mappings on ${be}\n${q}")
      endif()
    endforeach()
  endif()
endif()
run(spfast 0 ARGS replay --superpages on --pmap fass --procs 2 --json ${REPLAY_DIR}/traces/sh.trace)
run(spslow 0 ARGS replay --superpages on --pmap fass --procs 2 --no-fast-path --json ${REPLAY_DIR}/traces/sh.trace)
string(REGEX REPLACE "\"seconds\":.*" "" spfastn "${spfast_out}")
string(REGEX REPLACE "\"seconds\":.*" "" spslown "${spslow_out}")
if(NOT spfastn STREQUAL spslown)
  message(SEND_ERROR "--no-fast-path changed a number with superpages on:\n${spfast_out}\n${spslow_out}")
endif()
# A number from the JSON text (a key that occurs once).
function(jnum name text key var)
  string(REGEX MATCH "\"${key}\": ([0-9]+)" m "${text}")
  if(NOT m)
    message(SEND_ERROR "${name}: no \"${key}\" in:\n${text}")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

# --- one program per trace ---
set(T ${REPLAY_DIR}/traces)
run(pair1 0 ARGS replay --procs 1 --json ${T}/ls.trace)
run(pair2 0 ARGS replay --procs 1 --json ${T}/sh.trace)
run(pair 0 ARGS replay --image ${REPLAY_DIR}/busybox.img --program /bin/ls --program /bin/sh --procs 2 --json
    ${T}/ls.trace ${T}/sh.trace)
has(pair pair_out "\"program\": null, \"programs\": [\"/bin/ls\", \"/bin/sh\"]")
has(pair pair_out "\"auto_exec\": 0,")
jnum(pair1 "${pair1_out}" records r1)
jnum(pair2 "${pair2_out}" records r2)
jnum(pair "${pair_out}" records r12)
math(EXPR want "${r1} + ${r2}")
if(NOT r12 EQUAL want)
  message(SEND_ERROR "pair: ${r12} records, wanted ${r1} + ${r2}")
endif()
run(pairtable 0 ARGS replay --image ${REPLAY_DIR}/busybox.img --program /bin/ls --program /bin/sh ${T}/ls.trace ${T}/sh.trace)
has(pairtable pairtable_out "programs /bin/ls, /bin/sh from ${REPLAY_DIR}/busybox.img (xip mount)")
if(EXISTS ${T}/hellopie.trace)
  # the pairing is by position: swapped, each trace fetches outside its program's text
  run(pie 0 ARGS replay --image ${REPLAY_DIR}/busybox.img --program /bin/busybox --program /bin/hellopie
      --procs 4 --json ${T}/sh.trace ${T}/hellopie.trace)
  has(pie pie_out "\"auto_exec\": 0,")
  run(pieswap 0 ARGS replay --image ${REPLAY_DIR}/busybox.img --program /bin/hellopie --program /bin/busybox
      --procs 4 --json ${T}/sh.trace ${T}/hellopie.trace)
  jnum(pieswap "${pieswap_out}" auto_exec ax)
  if(NOT ax GREATER 0)
    message(SEND_ERROR "pieswap: swapped programs, yet auto_exec ${ax}")
  endif()
endif()
# one crunched file against separate copies: the same work; the page cache of a copy
# mount holds the text once per file
foreach(img busybox busybox-separate)
  foreach(m copy xip)
    run(${img}_${m} 0 ARGS replay --image ${REPLAY_DIR}/${img}.img --mount ${m} --program /bin/ls --program /bin/sh
        --procs 4 --json ${T}/ls.trace ${T}/sh.trace)
    jnum(${img}_${m} "${${img}_${m}_out}" object ${img}_${m}_obj)
    jnum(${img}_${m} "${${img}_${m}_out}" records ${img}_${m}_rec)
    jnum(${img}_${m} "${${img}_${m}_out}" anon ${img}_${m}_anon)
  endforeach()
endforeach()
if(NOT busybox_xip_obj EQUAL 0 OR NOT busybox-separate_xip_obj EQUAL 0)
  message(SEND_ERROR "XIP page cache not 0: ${busybox_xip_obj}, ${busybox-separate_xip_obj}")
endif()
if(NOT busybox-separate_copy_obj GREATER busybox_copy_obj OR busybox_copy_obj LESS 20)
  message(SEND_ERROR "copy page cache: crunched ${busybox_copy_obj}, separate ${busybox-separate_copy_obj} pages (wanted separate > crunched > 20)")
endif()
foreach(k rec anon)
  if(NOT busybox_copy_${k} EQUAL busybox-separate_copy_${k} OR NOT busybox_copy_${k} EQUAL busybox_xip_${k})
    message(SEND_ERROR "${k} differs between the images or mounts: ${busybox_copy_${k}} ${busybox-separate_copy_${k}} ${busybox_xip_${k}}")
  endif()
endforeach()

run(noexec 2 ARGS replay --image ${REPLAY_DIR}/busybox.img --program /bin/nothere ${SMALL})
has(noexec noexec_err "uvmsim replay: exec /bin/nothere from ${REPLAY_DIR}/busybox.img:")
