# tests/replay: the replayer suites get the built-in image (test_replay), zlib (gzip
# files), and where the build put the busybox image and traces (test_replay_real, which
# exits 77 — skipped — when there are none).  Included by tests/CMakeLists.txt.
foreach(t test_replay test_fastpath test_replay_real)
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
