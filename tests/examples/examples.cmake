# Tests that run the teaching examples and check what they print (not only exit codes).
if(TARGET cow-fork)
  add_test(NAME examples/cow-fork COMMAND cow-fork)
  set_tests_properties(examples/cow-fork PROPERTIES LABELS "unit;examples"
    PASS_REGULAR_EXPRESSION "parent-store +fault zero-fill[^\n]*\nfork[^\n]*child reads \"parent!\"\nchild-store +fault upper-promote[^\n]*copied 4096 B[^\n]*parent reads \"parent!\"  child reads \"child!!\"\nparent-store-again +fault upper-direct[^\n]*parent reads \"PARENT!\"  child reads \"child!!\"")
  add_test(NAME examples/cow-fork-json COMMAND cow-fork --json)
  set_tests_properties(examples/cow-fork-json PROPERTIES LABELS "unit;examples"
    PASS_REGULAR_EXPRESSION "\"step\": \"parent-store\", \"fault_class\": \"zero-fill\", \"pa\": \"0x[0-9a-f]+\".*\"step\": \"child-store\", \"fault_class\": \"upper-promote\".*\"step\": \"parent-store-again\", \"fault_class\": \"upper-direct\".*\"bytes\": \\{\"parent\": \"PARENT!\"")
  add_test(NAME examples/cow-fork-badarg COMMAND cow-fork --bogus)
  set_tests_properties(examples/cow-fork-badarg PROPERTIES LABELS "unit;examples" WILL_FAIL TRUE)
  if(VALGRIND AND NOT UVMSIM_SANITIZE)
    add_test(NAME memcheck/examples/cow-fork COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
      --errors-for-leak-kinds=definite $<TARGET_FILE:cow-fork> --json)
    set_tests_properties(memcheck/examples/cow-fork PROPERTIES LABELS "memcheck;examples")
  endif()
endif()

# The benchmark only smoke-runs here (tiny sizes); its numbers are never asserted.
if(TARGET uvmsim-bench)
  add_test(NAME examples/bench-smoke COMMAND uvmsim-bench --quick --csv)
  set_tests_properties(examples/bench-smoke PROPERTIES LABELS "unit;examples"
    PASS_REGULAR_EXPRESSION "group,key,value,unit\nexec,ram_pages_xip,[0-9]+,pages\n.*exec,ram_ratio_xip_over_copy,0\\.[0-9]+,ratio.*mmu,miss_over_hit,[0-9.e+]+,ratio")
endif()
if(TARGET uvmsim-bench)
  add_test(NAME examples/bench-json COMMAND uvmsim-bench --quick --json --procs 3)
  set_tests_properties(examples/bench-json PROPERTIES LABELS "unit;examples"
    PASS_REGULAR_EXPRESSION "^\\{\"ram_pages_xip\": [0-9]+, .*\"tlb_hit_rate_hit_loop\": 1, \"tlb_hit_rate_miss_loop\": 0, .*\"fork_1g_sparse_over_1m\": [0-9.e+-]+, .*\"exit_1g_sparse_over_1m\": [0-9.e+-]+, .*\"tlb_hit_ns\": [0-9.e+]+, .*\"units\": \\{\"ram_pages_xip\": \"pages\", .*\"groups\": \\{.*\\}\\}\n$")
  add_test(NAME examples/bench-args
    COMMAND ${CMAKE_COMMAND} -DBENCH=$<TARGET_FILE:uvmsim-bench> -P ${CMAKE_CURRENT_LIST_DIR}/bench_check.cmake)
  set_tests_properties(examples/bench-args PROPERTIES LABELS "unit;examples")
endif()
if(TARGET uvmsim-bench AND VALGRIND AND NOT UVMSIM_SANITIZE)
  add_test(NAME memcheck/examples/bench-smoke COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite $<TARGET_FILE:uvmsim-bench> --quick --csv)
  set_tests_properties(memcheck/examples/bench-smoke PROPERTIES LABELS "memcheck;examples" TIMEOUT 600)
endif()
