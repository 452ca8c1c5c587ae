# run() and has() for the cmake -P scripts that drive the built `uvmsim` (cli/tool,
# replay/cli).  The including script sets UVMSIM; a failure sets the global property
# CLI_TOOL_FAILED and goes on (SEND_ERROR), so one run reports every broken case.

# run(NAME EXPECT_RC [STDIN file] [ENV k=v...] ARGS ...) -> ${NAME}_out / ${NAME}_err
function(run name want)
  cmake_parse_arguments(R "" "STDIN" "ENV;ARGS" ${ARGN})
  set(cmd ${UVMSIM} ${R_ARGS})
  if(R_ENV)
    set(cmd ${CMAKE_COMMAND} -E env ${R_ENV} ${UVMSIM} ${R_ARGS})
  endif()
  if(R_STDIN)
    execute_process(COMMAND ${cmd} INPUT_FILE ${R_STDIN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(NOT "${rc}" STREQUAL "${want}")
    set_property(GLOBAL PROPERTY CLI_TOOL_FAILED 1)
    message(SEND_ERROR "${name}: exit status ${rc}, wanted ${want}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(${name}_out "${out}" PARENT_SCOPE)
  set(${name}_err "${err}" PARENT_SCOPE)
endfunction()

function(has name var needle)
  string(FIND "${${var}}" "${needle}" at)
  if(at EQUAL -1)
    set_property(GLOBAL PROPERTY CLI_TOOL_FAILED 1)
    message(SEND_ERROR "${name}: [${needle}] not found in:\n${${var}}")
  endif()
endfunction()
