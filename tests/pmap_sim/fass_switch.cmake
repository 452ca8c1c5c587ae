# CTest runs of examples/fass-switch (the ARM backends' context-switch sweep): the exact
# CSV of a small sweep, the detail file, the plot when gnuplot exists, and bad input.
# Included by tests/CMakeLists.txt.
if(TARGET fass-switch)
  add_test(NAME examples/fass-switch COMMAND fass-switch --procs 2,8 --switches 50 --different)
  set_tests_properties(examples/fass-switch PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "^backend,procs,switches,tlb_flushes,cache_flushes,cpd_loads,cpd_collisions,domain_recycles\narmv5,2,50,50,50,0,0,0\narmv5,8,50,50,50,0,0,0\nfass,2,50,0,0,0,0,0\nfass,8,50,0,0,0,0,0\n$")
  add_test(NAME examples/fass-switch-recycle
    COMMAND fass-switch --procs 16 --switches 150 --backends fass --domain-policy clean-fewest --pid-policy least-used
            --detail ${CMAKE_BINARY_DIR}/tests/fass-switch-detail.csv)
  set_tests_properties(examples/fass-switch-recycle PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "\nfass,16,150,10,10,300,0,150\n")
  # The same sweep as JSON: the counters of the CSV above, one object per row.
  add_test(NAME examples/fass-switch-json COMMAND fass-switch --procs 2,8 --switches 50 --different --json)
  set_tests_properties(examples/fass-switch-json PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "^\\{\"switches\": 50, \"layout\": \"different\", \"rows\": \\[\\{\"backend\": \"armv5\", \"procs\": 2, \"switches\": 50, \"tlb_flushes\": 50, [^}]*\"cache_flushes\": 50, \"cpd_loads\": 0, .*\\{\"backend\": \"fass\", \"procs\": 8, \"switches\": 50, \"tlb_flushes\": 0, [^}]*\\}\\]\\}\n$")
  # --cycles: the same sweep priced with the SA-1100 defaults.  Per switch, armv5: 200 base
  # + 2 TTB + 2x2 TLB flushes + 6000 clean + (2 + 128x40) invalidate and refill + 10 misses
  # x 45 = 11778; fass: 200 + 2 DACR + 2 PID = 204, at N = 8 plus 6 capacity misses x 45.
  add_test(NAME examples/fass-switch-cycles COMMAND fass-switch --procs 2,8 --switches 50 --different --cycles)
  set_tests_properties(examples/fass-switch-cycles PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "^backend,procs,switches,tlb_flushes,cache_flushes,cpd_loads,cpd_collisions,domain_recycles,cycles_per_switch\narmv5,2,50,50,50,0,0,0,11778.00\narmv5,8,50,50,50,0,0,0,11778.00\nfass,2,50,0,0,0,0,0,204.00\nfass,8,50,0,0,0,0,0,474.00\n$")
  # Overrides, file then list: 2 + 2x2 + 1000 + 2 + 10 x 45 = 1458.
  add_test(NAME examples/fass-switch-cost COMMAND fass-switch --procs 2 --switches 50 --different --backends armv5
    --cost-file /dev/null --cost switch_base=0,cache_clean=1000,refill_lines=0)
  set_tests_properties(examples/fass-switch-cost PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "\narmv5,2,50,50,50,0,0,0,1458.00\n$")
  add_test(NAME examples/fass-switch-cycles-json COMMAND fass-switch --procs 2 --switches 10 --backends fass --cycles --json)
  set_tests_properties(examples/fass-switch-cycles-json PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "\"cost_model\": \\{\"cpu_mhz\": 200, .*\"cycles\": 2040, \"cycles_per_switch\": 204, \"cycles_per_switch_by_term\": \\{\"switch_base\": 200, \"registers\": 4, ")
  add_test(NAME examples/fass-switch-help COMMAND fass-switch --help)
  set_tests_properties(examples/fass-switch-help PROPERTIES LABELS "unit;examples;pmap_sim"
    PASS_REGULAR_EXPRESSION "usage: fass-switch")
  foreach(bad "--procs;0" "--procs;1,x" "--procs;65" "--procs;3x" "--switches;0" "--switches;1e9" "--backends;nope"
              "--domain-policy;nope" "--same;--different" "--bogus" "--procs" "--detail;/nonexistent/dir/x.csv"
              "--cost;bogus=1" "--cost;tlb_miss=x" "--cost;tlb_miss" "--cost-file;/nonexistent/costs")
    string(REPLACE ";" "_" tag "${bad}")
    string(REGEX REPLACE "[^A-Za-z0-9_]" "" tag "${tag}")
    add_test(NAME examples/fass-switch-bad${tag} COMMAND fass-switch --switches 5 --procs 2 ${bad})
    set_tests_properties(examples/fass-switch-bad${tag} PROPERTIES LABELS "unit;examples;pmap_sim" WILL_FAIL TRUE)
  endforeach()
  if(UVMSIM_GNUPLOT)
    add_test(NAME examples/fass-switch-png
      COMMAND fass-switch --procs 2,16 --switches 30 --png ${CMAKE_BINARY_DIR}/tests/fass-switch.png)
    set_tests_properties(examples/fass-switch-png PROPERTIES LABELS "unit;examples;pmap_sim"
      PASS_REGULAR_EXPRESSION "fass,16,30,")
  else()
    uvmsim_skip_test(examples/fass-switch-png "unit;examples;pmap_sim" "gnuplot is not installed (Debian: gnuplot-nox)")
  endif()
  if(VALGRIND AND NOT UVMSIM_SANITIZE)
    add_test(NAME memcheck/examples/fass-switch COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
      --errors-for-leak-kinds=definite $<TARGET_FILE:fass-switch> --procs 2,16 --switches 40)
    set_tests_properties(memcheck/examples/fass-switch PROPERTIES LABELS "memcheck;examples;pmap_sim"
      PASS_REGULAR_EXPRESSION "fass,16,40,")
  endif()
endif()
