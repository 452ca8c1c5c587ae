# tests/man — the manual pages in man/.  Included by tests/CMakeLists.txt.
#   man/lint          mandoc -T lint over every page: any warning or error fails (skipped
#                     with the reason when mandoc is not installed)
#   man/help-PROGRAM  every option PROGRAM --help lists is in its page, and the help names
#                     the page; for uvmsim, every command and each command's options
#   man/scenario      every command, expect form, counter and option word the scenario
#                     parser knows is in uvmsim-scenario(5)
#   man/library       every UVMSIM_API function of the public headers is in libuvmsim(3)
set(_man ${CMAKE_SOURCE_DIR}/man)
set(_check ${CMAKE_CURRENT_LIST_DIR}/check_pages.sh)
if(UVMSIM_MANDOC)
  add_test(NAME man/lint COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/lint.sh ${UVMSIM_MANDOC} ${_man})
  set_tests_properties(man/lint PROPERTIES LABELS "unit;man" PASS_REGULAR_EXPRESSION "man/lint: OK")
else()
  uvmsim_skip_test(man/lint "unit;man" "mandoc is not installed (Debian: mandoc): the manual pages are not linted")
  uvmsim_host_missing("mandoc" "the manual pages are not linted")
endif()

foreach(prog physmap xip-exec cow-fork fass-switch uvmsim-bench)
  if(TARGET ${prog})
    add_test(NAME man/help-${prog} COMMAND bash ${_check} program ${_man}/${prog}.1 $<TARGET_FILE:${prog}>)
    set_tests_properties(man/help-${prog} PROPERTIES LABELS "unit;man" PASS_REGULAR_EXPRESSION "check_pages: OK")
  endif()
endforeach()
if(TARGET uvmsim_cli)
  add_test(NAME man/help-uvmsim COMMAND bash ${_check} uvmsim ${_man}/uvmsim.1 $<TARGET_FILE:uvmsim_cli>)
  add_test(NAME man/scenario
    COMMAND bash ${_check} scenario ${_man}/uvmsim-scenario.5 $<TARGET_FILE:uvmsim_cli> ${CMAKE_SOURCE_DIR})
  set_tests_properties(man/help-uvmsim man/scenario PROPERTIES LABELS "unit;man"
    PASS_REGULAR_EXPRESSION "check_pages: OK")
endif()
add_test(NAME man/library COMMAND bash ${_check} library ${_man}/libuvmsim.3 ${CMAKE_SOURCE_DIR}/include)
set_tests_properties(man/library PROPERTIES LABELS "unit;man" PASS_REGULAR_EXPRESSION "check_pages: OK")
