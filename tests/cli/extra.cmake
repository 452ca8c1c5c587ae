# tests/cli — the uvmsim tool and its scenario library.  Included at the end of
# tests/CMakeLists.txt.  The suites are named cli_*.c (not test_*.c) because they link
# uvmsim_scenario, which the tests/*/test_*.c glob does not.
#   cli_lang    the scenario language: every command, expect form and error message
#   cli_matrix  the fault-handler matrix: every case on every backend, the table parser
#   cli_teach   explain and dot on the example scenarios; the examples themselves
#   cli/tool    the built executable: subcommands, --help, exit codes, --png, JSON
# Each suite runs plainly (label unit) and under Valgrind memcheck (label memcheck).
if(NOT TARGET uvmsim_scenario)
  return()
endif()

foreach(name cli_lang cli_matrix cli_teach cli_html)
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE uvmsim_scenario uvmsim_testsupport)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME cli/${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  set_tests_properties(cli/${name} PROPERTIES LABELS "unit;cli" TIMEOUT 600)
  if(VALGRIND AND NOT UVMSIM_SANITIZE)
    add_test(NAME memcheck/cli/${name}
      COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite --show-leak-kinds=definite
              $<TARGET_FILE:${name}>
      WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    set_tests_properties(memcheck/cli/${name} PROPERTIES LABELS "memcheck;cli"
      ENVIRONMENT "CK_FORK=no;UVMSIM_MEMCHECK=1" TIMEOUT 1800)
  endif()
endforeach()

find_program(UVMSIM_PYTHON3 python3)
add_test(NAME cli/tool
  COMMAND ${CMAKE_COMMAND} -DUVMSIM=$<TARGET_FILE:uvmsim_cli> -DSRC=${CMAKE_SOURCE_DIR}
          -DWORK=${CMAKE_BINARY_DIR}/tests/cli-tool-work -DPYTHON3=${UVMSIM_PYTHON3} -DSANITIZE=${UVMSIM_SANITIZE}
          -DDOT_EXE=${UVMSIM_DOT_EXE} -P ${CMAKE_CURRENT_LIST_DIR}/cli_tool.cmake)
set_tests_properties(cli/tool PROPERTIES LABELS "unit;cli" TIMEOUT 600)
if(NOT UVMSIM_DOT_EXE)
  uvmsim_skip_test(cli/tool-png "unit;cli" "Graphviz dot is not installed (Debian: graphviz): uvmsim dot --png is not checked")
endif()
if(VALGRIND AND NOT UVMSIM_SANITIZE)
  # The executable itself under memcheck: a scenario run with a trace, explain, dot and
  # a slice of the matrix.
  add_test(NAME memcheck/cli/tool
    COMMAND ${CMAKE_COMMAND} -DUVMSIM=$<TARGET_FILE:uvmsim_cli> -DSRC=${CMAKE_SOURCE_DIR}
            -DWORK=${CMAKE_BINARY_DIR}/tests/cli-tool-memcheck -DVALGRIND=${VALGRIND}
            -P ${CMAKE_CURRENT_LIST_DIR}/cli_tool_memcheck.cmake)
  set_tests_properties(memcheck/cli/tool PROPERTIES LABELS "memcheck;cli" TIMEOUT 1800)
endif()

# cli/html_browser: a lesson page in headless Chromium (the DOM after its script ran, the
# navigation, a screenshot).  Always registered: where chromium or Graphviz is missing
# the script says "SKIP: ..." and CTest counts the test as skipped.
find_program(UVMSIM_CHROMIUM NAMES chromium chromium-browser google-chrome)
if(NOT UVMSIM_CHROMIUM)
  message(STATUS "chromium not found: cli/html_browser will be skipped (Debian: apt-get install chromium)")
endif()
add_test(NAME cli/html_browser
  COMMAND ${CMAKE_COMMAND} -DUVMSIM=$<TARGET_FILE:uvmsim_cli> -DSRC=${CMAKE_SOURCE_DIR}
          -DWORK=${CMAKE_BINARY_DIR}/tests/html-browser-work -P ${CMAKE_CURRENT_LIST_DIR}/html_browser.cmake)
set_tests_properties(cli/html_browser PROPERTIES LABELS "unit;cli;browser" TIMEOUT 600
  SKIP_REGULAR_EXPRESSION "SKIP: ")
