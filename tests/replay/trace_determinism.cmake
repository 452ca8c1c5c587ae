# replay/trace-determinism: recording the traces again under another, longer build path
# gives the same records as the build's (cmake/mkreplay.cmake runs the programs from a
# fixed-length directory; docs/replay.md).  Only the ==PID== lines may differ.  Not sh:
# busybox sh writes its parent's process ID into $PPID at start, so its trace changes by a
# few records with the number of digits of that ID, which no build controls.
#   cmake -DMKREPLAY=... -DWORK=... -DREF=<build>/replay -DBUSYBOX=... -DVALGRIND=...
#         -DMKE2FS=... -DENV=... -P trace_determinism.cmake
set(dir ${WORK}/a/directory/whose/path/is/much/longer/than/the/build/one/replay)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${dir})
execute_process(
  COMMAND ${CMAKE_COMMAND} -DDIR=${dir} -DBUSYBOX=${BUSYBOX} -DVALGRIND=${VALGRIND} -DMKE2FS=${MKE2FS}
          -DENV=${ENV} "-DAPPLETS=ls;sort;gzip" -P ${MKREPLAY}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mkreplay.cmake failed (${rc}):\n${out}${err}")
endif()
foreach(a ls sort gzip)
  foreach(side ref new)
    if(side STREQUAL "ref")
      set(f ${REF}/traces/${a}.trace)
    else()
      set(f ${dir}/traces/${a}.trace)
    endif()
    file(STRINGS ${f} recs REGEX "^[ I]")
    list(LENGTH recs n_${side})
    string(SHA256 h_${side} "${recs}")
  endforeach()
  if(n_ref EQUAL 0)
    message(FATAL_ERROR "${a}: the build's trace has no records")
  endif()
  if(NOT n_ref EQUAL n_new OR NOT h_ref STREQUAL h_new)
    message(FATAL_ERROR "${a}: recorded under ${dir}: ${n_new} records, the build's ${n_ref}; "
                        "the traces differ (a trace must not depend on the build's path)")
  endif()
  message(STATUS "${a}: ${n_new} records, the same as the build's")
endforeach()
file(REMOVE_RECURSE ${WORK})
