# Helpers for the cmake -P scripts that run an example and check what it prints.
# The including script sets CHECK_TOOL (the executable) and CHECK_NAME (for messages).

# run(<name> <expected exit code> args...) → ${name}_out, ${name}_err
function(run name want)
  execute_process(COMMAND ${CHECK_TOOL} ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${want}")
    message(FATAL_ERROR "${CHECK_NAME} ${ARGN}: exit ${rc}, wanted ${want}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  set(${name}_out "${out}" PARENT_SCOPE)
  set(${name}_err "${err}" PARENT_SCOPE)
endfunction()

function(expect text regex)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "expected /${regex}/ in:\n${text}")
  endif()
endfunction()
