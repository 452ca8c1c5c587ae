# Make the busybox images and record Lackey traces of busybox applets (cmake/replay.cmake).
#   cmake -DDIR=build/replay -DBUSYBOX=/bin/busybox -DVALGRIND=valgrind -DMKE2FS=mke2fs
#         -DENV=/usr/bin/env "-DAPPLETS=ls;sort;gzip;sh" [-DDEBUGFS=debugfs -DCP=cp]
#         -P mkreplay.cmake
# With DEBUGFS and CP it also makes busybox-aligned.img, the same tree with /bin/busybox's
# blocks aligned for large pages (docs/superpages.md).
# The traced runs read only files made here (never the host's /etc: `ls -ln` prints
# numbers, TZ=UTC0 needs no zone file), with a fixed empty-ish environment and fixed
# file times, from a directory whose path has a fixed length, so a trace depends on the
# busybox binary only: not on the day, the host's users or where the build lives.

foreach(v DIR BUSYBOX VALGRIND MKE2FS ENV APPLETS)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "mkreplay.cmake: -D${v}=... missing")
  endif()
endforeach()

set(ROOT ${DIR}/root)
file(REMOVE_RECURSE ${ROOT} ${DIR}/traces ${DIR}/out)
file(MAKE_DIRECTORY ${ROOT}/bin ${ROOT}/data/dir ${DIR}/traces ${DIR}/out)

# /bin/busybox and its applets as hard links, as a crunched binary is installed
file(COPY ${BUSYBOX} DESTINATION ${ROOT}/bin
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
get_filename_component(_bb ${BUSYBOX} NAME)
if(NOT _bb STREQUAL "busybox")
  file(RENAME ${ROOT}/bin/${_bb} ${ROOT}/bin/busybox)
endif()
foreach(a ${APPLETS} cat echo head wc)
  file(CREATE_LINK ${ROOT}/bin/busybox ${ROOT}/bin/${a})
endforeach()
# a static PIE program, when the build made one (PIE: its path, or empty)
if(PIE)
  file(COPY ${PIE} DESTINATION ${ROOT}/bin
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endif()

# Inputs: a directory of twelve small files, 200 words in no order, 1 KiB of text.
foreach(i RANGE 1 12)
  string(SHA1 h "file${i}")
  string(SUBSTRING "${h}" 0 ${i} part)
  file(WRITE ${ROOT}/data/dir/f${i} "${part}\n")
endforeach()
set(words "")
foreach(i RANGE 1 200)
  string(SHA1 h "word${i}")
  math(EXPR n "4 + ${i} % 9")
  string(SUBSTRING "${h}" 0 ${n} w)
  string(APPEND words "${w}\n")
endforeach()
file(WRITE ${ROOT}/data/words "${words}")
set(text "")
foreach(i RANGE 1 24)
  string(APPEND text "line ${i}: a crunched binary executes in place from NOR flash\n")
endforeach()
string(SUBSTRING "${text}" 0 1024 text)
file(WRITE ${ROOT}/data/text "${text}")
# fixed times for ls -l (2023-11-14 22:13:20 UTC)
file(GLOB _files ${ROOT}/data/dir/*)
execute_process(COMMAND touch -h -d @1700000000 ${_files} ${ROOT}/data/dir ${ROOT}/data/words ${ROOT}/data/text
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "touch -d failed (${rc})")
endif()

# An image of TREE: 4 KiB blocks (XIP needs block == page), fixed UUID, hash seed and
# clock, room for PAYLOAD bytes of files and 2 MiB more; names copied in C order (mke2fs
# -d sorts them with strcoll).
function(make_image tree img payload uuid)
  math(EXPR mib "(${payload} + 1048575) / 1048576 + 2")
  file(REMOVE ${img})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env E2FSPROGS_FAKE_TIME=1700000000 LC_ALL=C
            ${MKE2FS} -q -F -t ext2 -b 4096 -U ${uuid}
            -E hash_seed=01234567-89ab-cdef-0123-456789abcdef -d ${tree} ${img} ${mib}M
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mke2fs -d ${tree} ${img} failed (${rc}):\n${out}")
  endif()
endfunction()

file(SIZE ${ROOT}/bin/busybox bbsize)
set(piesize 0)
if(PIE)
  file(SIZE ${PIE} piesize)
endif()
math(EXPR payload "${bbsize} + ${piesize}")
make_image(${ROOT} ${DIR}/busybox.img ${payload} 01234567-89ab-cdef-0123-456789abcdef)

# The same applets as separate programs (for crunched against separate binaries,
# docs/measurements.md): each traced applet a copy of the binary, four files that share
# nothing, beside the same /data; made the same way.  A copy behaves as `busybox APPLET`
# did in the traced runs, so the traces fit it.
set(SEP ${DIR}/root-separate)
file(REMOVE_RECURSE ${SEP})
file(MAKE_DIRECTORY ${SEP}/bin)
foreach(a ${APPLETS})
  file(COPY_FILE ${ROOT}/bin/busybox ${SEP}/bin/${a})
endforeach()
file(COPY ${ROOT}/data DESTINATION ${SEP})
list(LENGTH APPLETS napplets)
math(EXPR payload "${napplets} * ${bbsize}")
make_image(${SEP} ${DIR}/busybox-separate.img ${payload} 01234567-89ab-cdef-0123-456789abcdee)

# The aligned variant (docs/superpages.md).  mke2fs -d copies the tree in alphabetical
# order (scandir + alphasort, LC_ALL=C here), depth first, each file's blocks from the
# first free one on, with an ext2 indirect block just before file block 12 (and two more
# before block 1036).  So busybox's block n >= 12 lands at B0 + n + 1, B0 being where
# its block 0 lands: the file offset and the device offset are congruent modulo 2 MiB —
# hence modulo 64 KiB and 1 MiB too — when B0 + 1 is a multiple of 512.  A padding file
# /.align (non-zero bytes: mke2fs makes holes of zero blocks), first in the order, moves
# B0 there.  Pass 1 makes the image without it at the final size (the inode table, and
# so B0, depends on the size) to learn B0; pass 2 with it; bmap checks the result.
if(DEFINED DEBUGFS AND DEBUGFS AND DEFINED CP AND CP)
  set(aroot ${DIR}/root-aligned)
  set(aimg ${DIR}/busybox-aligned.img)
  math(EXPR apayload "${bbsize} + ${piesize} + 2097152")   # busybox.img's payload + 2 MiB of pad
  set(auuid 01234567-89ab-cdef-0123-456789abcded)
  file(REMOVE_RECURSE ${aroot})
  execute_process(COMMAND ${CP} -a ${ROOT} ${aroot} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cp -a ${ROOT} ${aroot} failed (${rc})")
  endif()
  function(_bmap lbn var)
    execute_process(COMMAND ${DEBUGFS} -R "bmap /bin/busybox ${lbn}" ${aimg}
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0 OR NOT out MATCHES "^[0-9]+$")
      message(FATAL_ERROR "debugfs bmap /bin/busybox ${lbn} on ${aimg} failed (${rc}): ${out}")
    endif()
    set(${var} ${out} PARENT_SCOPE)
  endfunction()
  make_image(${aroot} ${aimg} ${apayload} ${auuid})
  _bmap(0 b0)
  # blocks the pad must take: (511 - B0) mod 512; a pad of n > 12 data blocks takes n + 1
  math(EXPR take "(511 - ${b0} % 512 + 512) % 512")
  if(take EQUAL 13)
    math(EXPR take "${take} + 512")
  endif()
  if(take GREATER 12)
    math(EXPR ndata "${take} - 1")
  else()
    set(ndata ${take})
  endif()
  if(ndata GREATER 0)
    math(EXPR padlen "${ndata} * 4096")
    string(REPEAT "U" ${padlen} pad)
    file(WRITE ${aroot}/.align "${pad}")
    unset(pad)
    make_image(${aroot} ${aimg} ${apayload} ${auuid})
  endif()
  _bmap(0 a0)
  _bmap(12 a12)
  math(EXPR last "(${bbsize} + 4095) / 4096 - 1")
  _bmap(${last} alast)
  math(EXPR r0 "(${a0} + 1) % 512")
  math(EXPR rlast "${alast} - ${a12} - (${last} - 12)")
  if(NOT r0 EQUAL 0 OR NOT rlast EQUAL 0)
    message(FATAL_ERROR "busybox-aligned.img: /bin/busybox block 0 at ${a0}, 12 at ${a12}, ${last} at ${alast}: "
                        "not the aligned, contiguous layout expected (docs/superpages.md)")
  endif()
  message(STATUS "uvmsim replay: busybox-aligned.img: /bin/busybox block 0 at device block ${a0}, "
                 "blocks 12..${last} at ${a12}..${alast} (congruent modulo 2 MiB)")
endif()

# The traced runs.  Under Valgrind the program sees the absolute paths of itself and of
# its working directory, and how much work its string handling does depends on their
# lengths: traced in the build directory, /work/b and /home/someone/src/uvmsim/build gave
# traces that differed by a few dozen records.  So the runs happen in a copy of what they
# read under /tmp/uvmsim-trace-XXXXXXXX (the same length every time), with relative paths.
string(RANDOM LENGTH 8 ALPHABET abcdefghijklmnopqrstuvwxyz0123456789 _tag)
set(TRUN /tmp/uvmsim-trace-${_tag})
file(REMOVE_RECURSE ${TRUN})
file(MAKE_DIRECTORY ${TRUN}/bin)
file(COPY ${ROOT}/bin/busybox DESTINATION ${TRUN}/bin)
if(PIE)
  file(COPY ${ROOT}/bin/hellopie DESTINATION ${TRUN}/bin)
endif()
file(COPY ${ROOT}/data DESTINATION ${TRUN})            # keeps the fixed file times
set(args_ls ls -ln data/dir)
set(args_sort sort data/words)
set(args_gzip gzip -c data/text)
# (newlines, not semicolons, between the commands: a CMake list would split at them, and
# busybox would run `sh -c i=0` with the rest as its arguments)
set(args_sh sh -c "i=0\nwhile [ $i -lt 10 ]\ndo i=$((i+1))\ndone\necho $i")
set(out_sh "10\n")
foreach(a ${APPLETS})
  if(NOT DEFINED args_${a})
    file(REMOVE_RECURSE ${TRUN})
    message(FATAL_ERROR "mkreplay.cmake: no command line for applet ${a}")
  endif()
  set(trace ${DIR}/traces/${a}.trace)
  execute_process(
    COMMAND ${ENV} -i TZ=UTC0 LC_ALL=C PATH=/usr/bin:/bin
            ${VALGRIND} --tool=lackey --trace-mem=yes --log-file=${trace} ./bin/busybox ${args_${a}}
    WORKING_DIRECTORY ${TRUN}
    OUTPUT_FILE ${DIR}/out/${a}.out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${trace})
    file(REMOVE_RECURSE ${TRUN})
    message(FATAL_ERROR "valgrind --tool=lackey busybox ${a} failed (${rc}):\n${err}")
  endif()
  if(DEFINED out_${a})
    file(READ ${DIR}/out/${a}.out printed)
    if(NOT printed STREQUAL out_${a})
      file(REMOVE_RECURSE ${TRUN})
      message(FATAL_ERROR "busybox ${a} under valgrind printed \"${printed}\", not \"${out_${a}}\"")
    endif()
  endif()
  file(SIZE ${trace} tsize)
  message(STATUS "uvmsim replay: traced busybox ${a}: ${tsize} bytes")
endforeach()
if(PIE)
  set(trace ${DIR}/traces/hellopie.trace)
  execute_process(
    COMMAND ${ENV} -i TZ=UTC0 LC_ALL=C PATH=/usr/bin:/bin
            ${VALGRIND} --tool=lackey --trace-mem=yes --log-file=${trace} ./bin/hellopie
    WORKING_DIRECTORY ${TRUN}
    OUTPUT_FILE ${DIR}/out/hellopie.out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${trace})
    file(REMOVE_RECURSE ${TRUN})
    message(FATAL_ERROR "valgrind --tool=lackey hellopie failed (${rc}):\n${err}")
  endif()
endif()
file(REMOVE_RECURSE ${TRUN})
