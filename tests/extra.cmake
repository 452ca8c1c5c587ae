# Extra CTest tests that are not Check suites: the physmap example and the install /
# packaging round trip.  Included by tests/CMakeLists.txt.

if(TARGET physmap)
  # Runs physmap with the built-in pattern, with an image file and with bad input.
  add_test(NAME examples/physmap
    COMMAND ${CMAKE_COMMAND} -DPHYSMAP=$<TARGET_FILE:physmap>
            -DWORKDIR=${CMAKE_BINARY_DIR}/tests/physmap-work
            -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/physmap_check.cmake)
  set_tests_properties(examples/physmap PROPERTIES LABELS "unit;examples" TIMEOUT 120)
  if(VALGRIND AND NOT UVMSIM_SANITIZE)
    add_test(NAME memcheck/examples/physmap
      COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite --show-leak-kinds=definite
              $<TARGET_FILE:physmap> --check 0 --pattern-size 256K --block-size 4096)
    set_tests_properties(memcheck/examples/physmap PROPERTIES LABELS "memcheck;examples"
      PASS_REGULAR_EXPRESSION "64 blocks OK, 0 MISMATCH" TIMEOUT 600)
  endif()
endif()

# Install round trip (cmake --install into a scratch prefix, consumers via pkg-config and
# find_package).  Not in sanitizer or coverage builds: their libraries need the same
# instrumentation flags in every consumer.
if(NOT UVMSIM_SANITIZE AND NOT UVMSIM_COVERAGE)
  add_test(NAME install/roundtrip
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/install_test.sh
            ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER}
            ${CMAKE_BINARY_DIR}/tests/install-work)
  set_tests_properties(install/roundtrip PROPERTIES LABELS "unit;install" TIMEOUT 300
    PASS_REGULAR_EXPRESSION "install_test: OK")
endif()
