# What this host can do, probed once at configure time.
#
# Some tests need more than the compiler: Valgrind, Graphviz, gnuplot, busybox-static,
# mandoc, Chromium, a kernel that runs i386 programs.  Where the host lacks one, the tests
# that need it are registered as *skipped* with the reason (CTest prints "Skipped" and the
# reason is in the test's output), never failed, and configure says so once.  Install what
# is missing with `./scripts/quickstart deps` (Debian) and reconfigure to run them.

find_program(VALGRIND valgrind)
find_program(UVMSIM_GNUPLOT gnuplot)
find_program(UVMSIM_DOT_EXE dot)
find_program(UVMSIM_MANDOC mandoc)
find_program(UVMSIM_BUSYBOX busybox PATHS /bin /usr/bin NO_DEFAULT_PATH)
find_program(UVMSIM_CHROMIUM NAMES chromium chromium-browser)

# uvmsim_skip_test(NAME LABELS REASON): a placeholder test that CTest reports as skipped,
# its output giving the reason.
function(uvmsim_skip_test name labels reason)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -E echo "SKIPPED: ${reason}")
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" SKIP_REGULAR_EXPRESSION "SKIPPED: ")
endfunction()

# uvmsim_host_missing(WHAT CONSEQUENCE): one configure line per missing capability.
function(uvmsim_host_missing what consequence)
  message(STATUS "uvmsim host probe: no ${what}: ${consequence} (skipped, not failed)")
endfunction()

if(NOT VALGRIND)
  uvmsim_host_missing("valgrind" "the memcheck label and the Lackey traces")
endif()
if(NOT UVMSIM_GNUPLOT)
  uvmsim_host_missing("gnuplot" "plots are not drawn or checked")
endif()
if(NOT UVMSIM_DOT_EXE)
  uvmsim_host_missing("Graphviz dot" "PNG/SVG rendering is not checked")
endif()
