# Make the busybox images and record Lackey traces of busybox applets (cmake/replay.cmake).
#   cmake -DDIR=build/replay -DBUSYBOX=/bin/busybox -DVALGRIND=valgrind -DMKE2FS=mke2fs
#         -DENV=/usr/bin/env "-DAPPLETS=ls;sort;gzip;sh" -P mkreplay.cmake
# The traced runs read only files made here (never the host's /etc: `ls -ln` prints
# numbers, TZ=UTC0 needs no zone file), with a fixed empty-ish environment and fixed
# file times, so a trace depends on the busybox binary and the build directory's path
# (which the program sees in its arguments), not on the day or the host's users.

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
# clock, room for PAYLOAD bytes of files and 2 MiB more.
function(make_image tree img payload uuid)
  math(EXPR mib "(${payload} + 1048575) / 1048576 + 2")
  file(REMOVE ${img})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env E2FSPROGS_FAKE_TIME=1700000000
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

# The traced runs.
set(args_ls ls -ln ${ROOT}/data/dir)
set(args_sort sort ${ROOT}/data/words)
set(args_gzip gzip -c ${ROOT}/data/text)
set(args_sh sh -c "i=0; while [ $i -lt 10 ]; do i=$((i+1)); done; echo $i")
foreach(a ${APPLETS})
  if(NOT DEFINED args_${a})
    message(FATAL_ERROR "mkreplay.cmake: no command line for applet ${a}")
  endif()
  set(trace ${DIR}/traces/${a}.trace)
  execute_process(
    COMMAND ${ENV} -i TZ=UTC0 LC_ALL=C PATH=/usr/bin:/bin
            ${VALGRIND} --tool=lackey --trace-mem=yes --log-file=${trace} ${ROOT}/bin/busybox ${args_${a}}
    OUTPUT_FILE ${DIR}/out/${a}.out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${trace})
    message(FATAL_ERROR "valgrind --tool=lackey busybox ${a} failed (${rc}):\n${err}")
  endif()
  file(SIZE ${trace} tsize)
  message(STATUS "uvmsim replay: traced busybox ${a}: ${tsize} bytes")
endforeach()
if(PIE)
  set(trace ${DIR}/traces/hellopie.trace)
  execute_process(
    COMMAND ${ENV} -i TZ=UTC0 LC_ALL=C PATH=/usr/bin:/bin
            ${VALGRIND} --tool=lackey --trace-mem=yes --log-file=${trace} ${ROOT}/bin/hellopie
    OUTPUT_FILE ${DIR}/out/hellopie.out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${trace})
    message(FATAL_ERROR "valgrind --tool=lackey hellopie failed (${rc}):\n${err}")
  endif()
endif()
