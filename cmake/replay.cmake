# Real programs and their memory traces for `uvmsim replay` (docs/replay.md).
# Included by the top-level CMakeLists.txt after hostprobe.cmake (UVMSIM_BUSYBOX, VALGRIND)
# and builtin.cmake.
#
# When Debian's busybox-static (a static /bin/busybox) and valgrind are installed, the
# build makes, with cmake/mkreplay.cmake:
#   build/replay/busybox.img          ext2 (4 KiB blocks, mke2fs -d): /bin/busybox and
#                                     hard-linked applets, the input files under /data
#   build/replay/root/                the tree the image was made from
#   build/replay/busybox-separate.img the traced applets as separate copies of the binary
#                                     (separate files, no shared text), same /data
#   build/replay/root-separate/       its tree
#   build/replay/traces/<applet>.trace  Valgrind Lackey traces of busybox applets run
#                                     natively on those input files (ls, sort, gzip, sh)
#   build/replay/out/<applet>.out     what each traced run printed
#   build/replay/traces/hellopie.trace  a trace of /bin/hellopie (hello linked -static-pie,
#                                     when the compiler can), which is in the image too:
#                                     Valgrind's load base and exec's must agree
# These paths are stable: `uvmsim replay` with no TRACE uses them (compiled in), and other
# tools (scripts/measure) may rely on them.  Without busybox-static or valgrind nothing is
# made, configure says so, and the tests that need them are skipped.
#
# UVMSIM_REPLAY_DATA=OFF skips them on purpose.

option(UVMSIM_REPLAY_DATA "Build the busybox image and Lackey traces for uvmsim replay (needs busybox-static, valgrind, mke2fs)" ON)

set(UVMSIM_REPLAY_DIR ${CMAKE_BINARY_DIR}/replay)
set(UVMSIM_REPLAY_IMG ${UVMSIM_REPLAY_DIR}/busybox.img)
set(UVMSIM_REPLAY_SEP_IMG ${UVMSIM_REPLAY_DIR}/busybox-separate.img)
set(UVMSIM_REPLAY_APPLETS ls sort gzip sh)
set(UVMSIM_REPLAY_DEFAULT ls)
set(UVMSIM_REPLAY_BUILT OFF)
set(UVMSIM_REPLAY_MISSING "")

if(NOT UVMSIM_REPLAY_DATA)
  set(UVMSIM_REPLAY_MISSING "the build was configured with -DUVMSIM_REPLAY_DATA=OFF")
else()
  find_program(UVMSIM_READELF readelf)
  find_program(UVMSIM_ENV env PATHS /usr/bin /bin)
  find_program(UVMSIM_MKE2FS_R mke2fs PATHS /usr/sbin /sbin)
  set(_static OFF)
  if(UVMSIM_BUSYBOX AND UVMSIM_READELF)
    execute_process(COMMAND ${UVMSIM_READELF} -lW ${UVMSIM_BUSYBOX} OUTPUT_VARIABLE _ph ERROR_QUIET RESULT_VARIABLE _rc)
    if(_rc EQUAL 0 AND NOT _ph MATCHES "INTERP" AND _ph MATCHES "LOAD")
      set(_static ON)
    endif()
  endif()
  if(NOT UVMSIM_BUSYBOX)
    set(UVMSIM_REPLAY_MISSING "busybox was not found (Debian: apt-get install busybox-static)")
  elseif(NOT _static)
    set(UVMSIM_REPLAY_MISSING "${UVMSIM_BUSYBOX} is not a static program (Debian: apt-get install busybox-static)")
  elseif(NOT VALGRIND)
    set(UVMSIM_REPLAY_MISSING "valgrind was not found (Debian: apt-get install valgrind)")
  elseif(NOT UVMSIM_MKE2FS_R OR NOT UVMSIM_ENV)
    set(UVMSIM_REPLAY_MISSING "mke2fs or env was not found (Debian: apt-get install e2fsprogs coreutils)")
  else()
    set(UVMSIM_REPLAY_BUILT ON)
  endif()
endif()

if(UVMSIM_REPLAY_BUILT)
  message(STATUS "uvmsim replay: busybox image and Lackey traces of ${UVMSIM_REPLAY_APPLETS} go to ${UVMSIM_REPLAY_DIR}")
  set(_traces "")
  foreach(a ${UVMSIM_REPLAY_APPLETS})
    list(APPEND _traces ${UVMSIM_REPLAY_DIR}/traces/${a}.trace)
  endforeach()
  set(_pie "")
  if(UVMSIM_HAVE_PIE_CC AND UVMSIM_BUILTIN_IMAGE)
    set(_pie ${UVMSIM_PROGRAMS_DIR}/hellopie)
    list(APPEND _traces ${UVMSIM_REPLAY_DIR}/traces/hellopie.trace)
  endif()
  add_custom_command(OUTPUT ${UVMSIM_REPLAY_IMG} ${UVMSIM_REPLAY_SEP_IMG} ${_traces}
    COMMAND ${CMAKE_COMMAND} -DDIR=${UVMSIM_REPLAY_DIR} -DBUSYBOX=${UVMSIM_BUSYBOX}
            -DVALGRIND=${VALGRIND} -DMKE2FS=${UVMSIM_MKE2FS_R} -DENV=${UVMSIM_ENV}
            "-DAPPLETS=${UVMSIM_REPLAY_APPLETS}" -DPIE=${_pie}
            -P ${CMAKE_SOURCE_DIR}/cmake/mkreplay.cmake
    DEPENDS ${UVMSIM_BUSYBOX} ${CMAKE_SOURCE_DIR}/cmake/mkreplay.cmake ${_pie}
    COMMENT "Making the busybox image and recording Lackey traces (valgrind)" VERBATIM)
  add_custom_target(uvmsim_replay_data ALL DEPENDS ${UVMSIM_REPLAY_IMG} ${UVMSIM_REPLAY_SEP_IMG} ${_traces})
else()
  uvmsim_host_missing("busybox image and Lackey traces (${UVMSIM_REPLAY_MISSING})"
    "`uvmsim replay` needs TRACE and --image, replay/test_replay_real and the busybox runs of replay/cli")
  add_custom_target(uvmsim_replay_data)
endif()

# What the code that uses them is compiled with.
if(UVMSIM_REPLAY_BUILT)
  set(_built 1)
else()
  set(_built 0)
endif()
if(UVMSIM_REPLAY_BUILT AND UVMSIM_HAVE_PIE_CC AND UVMSIM_BUILTIN_IMAGE)
  set(_have_pie 1)
else()
  set(_have_pie 0)
endif()
set(UVMSIM_REPLAY_DEFS UVMSIM_REPLAY_DIR="${UVMSIM_REPLAY_DIR}" UVMSIM_REPLAY_BUILT=${_built} UVMSIM_REPLAY_PIE=${_have_pie}
    UVMSIM_REPLAY_DEFAULT="${UVMSIM_REPLAY_DEFAULT}" UVMSIM_REPLAY_MISSING="${UVMSIM_REPLAY_MISSING}")
