# tests/replay: the replayer suites get the built-in image (test_replay), zlib (gzip
# files), and where the build put the busybox image and traces (test_replay_real, which
# exits 77 — skipped — when there are none).  Included by tests/CMakeLists.txt.
foreach(t test_replay test_fastpath test_replay_real test_threads)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE uvmsim_builtin PkgConfig::ZLIB)
    target_compile_definitions(${t} PRIVATE ${UVMSIM_REPLAY_DEFS})
    add_dependencies(${t} uvmsim_images uvmsim_replay_data)
  endif()
endforeach()
if(TARGET test_replay_real)
  set_tests_properties(replay/test_replay_real PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900)
  if(TEST memcheck/replay/test_replay_real)
    set_tests_properties(memcheck/replay/test_replay_real PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endif()

# The uvmsim executable: replay/cli (tests/replay/replay_cli.cmake), and runs under
# memcheck (a Valgrind message fails them whatever the exit status).
if(TARGET uvmsim_cli)
  find_program(UVMSIM_PYTHON3 python3)
  if(UVMSIM_REPLAY_BUILT)
    set(_built 1)
  else()
    set(_built 0)
  endif()
  add_test(NAME replay/cli
    COMMAND ${CMAKE_COMMAND} -DUVMSIM=$<TARGET_FILE:uvmsim_cli> -DSRC=${CMAKE_SOURCE_DIR}
            -DWORK=${CMAKE_BINARY_DIR}/tests/replay-cli-work -DBUILT=${_built} -DREPLAY_DIR=${UVMSIM_REPLAY_DIR}
            -DPYTHON3=${UVMSIM_PYTHON3} -P ${CMAKE_CURRENT_LIST_DIR}/replay_cli.cmake)
  set_tests_properties(replay/cli PROPERTIES LABELS "unit;replay;cli" TIMEOUT 600)
  # FASS shared domains and the cycle report (docs/fass.md).
  add_test(NAME replay/share-domains-needs-fass
    COMMAND uvmsim_cli replay --image none --share-domains on ${CMAKE_SOURCE_DIR}/tests/replay/small.trace)
  set_tests_properties(replay/share-domains-needs-fass PROPERTIES LABELS "unit;replay;cli"
    PASS_REGULAR_EXPRESSION "--share-domains on: needs --pmap fass \\(pmap is generic\\)")
  add_test(NAME replay/cycles-small
    COMMAND uvmsim_cli replay --image none --pmap armv5 --procs 2 --quantum 3 --json
            ${CMAKE_SOURCE_DIR}/tests/replay/small.trace)
  set_tests_properties(replay/cycles-small PROPERTIES LABELS "unit;replay;cli"
    PASS_REGULAR_EXPRESSION "\"cycles\": \\{\"replay_switches\": [1-9][0-9]*, \"total\": [1-9][0-9]*, \"per_switch\": [1-9]")
  if(UVMSIM_REPLAY_BUILT)
    add_test(NAME replay/trace-determinism
      COMMAND ${CMAKE_COMMAND} -DMKREPLAY=${CMAKE_SOURCE_DIR}/cmake/mkreplay.cmake
              -DWORK=${CMAKE_BINARY_DIR}/tests/replay-determinism-work -DREF=${UVMSIM_REPLAY_DIR}
              -DBUSYBOX=${UVMSIM_BUSYBOX} -DVALGRIND=${VALGRIND} -DMKE2FS=${UVMSIM_MKE2FS_R} -DENV=${UVMSIM_ENV}
              -P ${CMAKE_CURRENT_LIST_DIR}/trace_determinism.cmake)
    set_tests_properties(replay/trace-determinism PROPERTIES LABELS "unit;replay" TIMEOUT 600)
    add_test(NAME replay/share-domains
      COMMAND uvmsim_cli replay --pmap fass --procs 4 --pid-policy none --share-domains on --json
              ${UVMSIM_REPLAY_DIR}/traces/ls.trace)
    set_tests_properties(replay/share-domains PROPERTIES LABELS "unit;replay;cli"
      PASS_REGULAR_EXPRESSION "\"share_domains\": \"on\", .*\"shared_domain_hits\": [1-9][0-9]*, \"shared_domain_fills\": [1-9][0-9]*, \"share_groups_made\": [1-9]")
  endif()
  if(VALGRIND AND NOT UVMSIM_SANITIZE)
    set(_vg ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
            --show-leak-kinds=definite)
    add_test(NAME memcheck/replay/cli-small
      COMMAND ${_vg} $<TARGET_FILE:uvmsim_cli> replay --image none --pmap fass --procs 2 --quantum 3
              --trace ${CMAKE_BINARY_DIR}/tests/replay-memcheck-events.jsonl --json
              ${CMAKE_SOURCE_DIR}/tests/replay/small.trace)
    set_tests_properties(memcheck/replay/cli-small PROPERTIES LABELS "memcheck;replay;cli"
      PASS_REGULAR_EXPRESSION "\"records\": 28," FAIL_REGULAR_EXPRESSION "==[0-9]+== " TIMEOUT 900)
    add_test(NAME memcheck/replay/cli-bad
      COMMAND ${_vg} $<TARGET_FILE:uvmsim_cli> replay --image none ${CMAKE_SOURCE_DIR}/tests/replay/bad-line4.trace)
    set_tests_properties(memcheck/replay/cli-bad PROPERTIES LABELS "memcheck;replay;cli"
      PASS_REGULAR_EXPRESSION "bad-line4.trace:4: malformed record: size 0" FAIL_REGULAR_EXPRESSION "==[0-9]+== "
      TIMEOUT 900)
    if(UVMSIM_REPLAY_BUILT)
      add_test(NAME memcheck/replay/cli-share
        COMMAND ${_vg} $<TARGET_FILE:uvmsim_cli> replay --pmap fass --procs 2 --pid-policy none --share-domains on
                --json ${UVMSIM_REPLAY_DIR}/traces/sh.trace)
      set_tests_properties(memcheck/replay/cli-share PROPERTIES LABELS "memcheck;replay;cli"
        PASS_REGULAR_EXPRESSION "\"share_groups_made\": [1-9]" FAIL_REGULAR_EXPRESSION "==[0-9]+== " TIMEOUT 900)
      add_test(NAME memcheck/replay/cli-busybox
        COMMAND ${_vg} $<TARGET_FILE:uvmsim_cli> replay --procs 2 --mount copy ${UVMSIM_REPLAY_DIR}/traces/sh.trace)
      set_tests_properties(memcheck/replay/cli-busybox PROPERTIES LABELS "memcheck;replay;cli"
        PASS_REGULAR_EXPRESSION "records +[0-9]+" FAIL_REGULAR_EXPRESSION "==[0-9]+== " TIMEOUT 900)
    endif()
  endif()
endif()
