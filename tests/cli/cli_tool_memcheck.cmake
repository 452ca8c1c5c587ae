# memcheck/cli/tool: the uvmsim executable under Valgrind memcheck — run with a trace,
# explain, dot and a slice of the matrix; any error or definite leak fails.
#   cmake -DUVMSIM=... -DSRC=... -DWORK=... -DVALGRIND=... -P cli_tool_memcheck.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(EX ${SRC}/examples/scenarios)
set(VG ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
       --show-leak-kinds=definite)
foreach(args
    "run;--json;--trace;${WORK}/t.jsonl;${EX}/xip-vs-copy-exec.scn"
    "explain;${EX}/cow-fork.scn"
    "dot;${EX}/xip-hole.scn"
    "matrix;--backend;generic;--only;backing=xip-hole,sysv-shm;--only;advice=normal;--only;prot=rw,rwx")
  execute_process(COMMAND ${VG} ${UVMSIM} ${args} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "memcheck: uvmsim ${args}: exit status ${rc}\n${err}")
  endif()
endforeach()
# html draws with Graphviz (a child process, not followed by Valgrind); without dot it
# must fail cleanly with status 3
find_program(DOT_EXE dot)
set(want 0)
if(NOT DOT_EXE)
  set(want 3)
endif()
foreach(args "html;${EX}/cow-fork.scn;-o;${WORK}/cow.html" "html;--step;3;${EX}/xip-hole.scn")
  execute_process(COMMAND ${VG} ${UVMSIM} ${args} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL want)
    message(FATAL_ERROR "memcheck: uvmsim ${args}: exit status ${rc}, wanted ${want}\n${err}")
  endif()
endforeach()
# a failing and a malformed scenario exit cleanly too
file(WRITE ${WORK}/bad.scn "spawn p\nmap p 0x10000 prot=q\n")
execute_process(COMMAND ${VG} ${UVMSIM} run ${WORK}/bad.scn RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "memcheck: bad scenario: exit status ${rc}, wanted 2")
endif()
execute_process(COMMAND ${VG} ${UVMSIM} html ${WORK}/bad.scn -o ${WORK}/bad.html RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
if(NOT rc EQUAL 2 OR EXISTS ${WORK}/bad.html)
  message(FATAL_ERROR "memcheck: html of a bad scenario: exit status ${rc}, wanted 2 and no page")
endif()
message(STATUS "cli_tool_memcheck: OK")
