# tests/measure: measure/smoke runs `scripts/measure --quick` into a scratch folder and
# checks its CSV files, plots and the regeneration of docs/measurements.md (on a copy);
# tests/measure/check_measure.sh says what.  Skipped, with the reason, without the
# build's busybox images and traces or without gnuplot.  Included by tests/CMakeLists.txt.
if(NOT UVMSIM_REPLAY_BUILT)
  uvmsim_skip_test(measure/smoke "unit;measure"
    "scripts/measure needs the busybox images and Lackey traces (${UVMSIM_REPLAY_MISSING})")
elseif(NOT UVMSIM_GNUPLOT)
  uvmsim_skip_test(measure/smoke "unit;measure" "scripts/measure needs gnuplot (Debian: apt-get install gnuplot-nox)")
else()
  add_test(NAME measure/smoke
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_measure.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}
            ${CMAKE_BINARY_DIR}/tests/measure-smoke)
  set_tests_properties(measure/smoke PROPERTIES LABELS "unit;measure" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "check_measure: OK")
endif()
