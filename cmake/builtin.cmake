# The built-in flash image and the static test programs (files and XIP).
# Included by the top-level CMakeLists.txt before the examples.
#
#  1. tests/programs/*.c → <build>/programs/NAME: static non-PIE HOST programs
#     (`cc -static -no-pie -O1`), never run by the simulator, exec'd by it; hello32 is
#     i386 and libc-free, built only when the compiler can target -m32; hellopie is
#     hello.c linked `-static-pie` (ET_DYN, loaded at UVMSIM_EXEC_PIE_BASE), built only
#     when the compiler and C library can make one, and not put into the images (their
#     layout stays the same whatever the host can build; test_exec makes its own).
#  2. <build>/builtin/root: the programs, a symlink, a sparse data file (mksparse) and a
#     text file, made into two ext2 images by the real mke2fs (cmake/mkimage.cmake):
#       uvmsim-builtin.img  4 KiB blocks: embedded, and used by the XIP tests
#       uvmsim-1k.img       1 KiB blocks: XIP mounts must refuse it
#  3. bin2c turns the 4 KiB image into builtin_image.c → static library uvmsim_builtin
#     (include/uvmsim/builtin.h).
#  4. At the end of the top-level CMakeLists.txt (deferred): every example links
#     uvmsim_builtin, and the CTest tests of the programs and of xip-exec are added.
#
# -DUVMSIM_BUILTIN_IMAGE=OFF builds uvmsim_builtin with an empty image (no mke2fs or
# static C library needed); test_exec and test_xip then only report that they had nothing
# to test.

option(UVMSIM_BUILTIN_IMAGE "Build the static test programs and the built-in ext2 image (needs mke2fs and a static C library)" ON)
set(UVMSIM_PROGRAM_CC ${CMAKE_C_COMPILER} CACHE FILEPATH "Compiler for the static test programs")

set(UVMSIM_PROGRAMS_DIR ${CMAKE_BINARY_DIR}/programs)
set(UVMSIM_BUILTIN_DIR ${CMAKE_BINARY_DIR}/builtin)
set(UVMSIM_BUILTIN_IMG ${UVMSIM_BUILTIN_DIR}/uvmsim-builtin.img)
set(UVMSIM_BUILTIN_IMG1K ${UVMSIM_BUILTIN_DIR}/uvmsim-1k.img)
set(_bi_src ${CMAKE_SOURCE_DIR}/src/builtin)
set(_bi_gen ${UVMSIM_BUILTIN_DIR}/builtin_image.c)
file(MAKE_DIRECTORY ${UVMSIM_PROGRAMS_DIR} ${UVMSIM_BUILTIN_DIR})

# Build tools (host executables, out of bin/).
foreach(tool bin2c mksparse)
  add_executable(uvmsim_${tool} ${_bi_src}/${tool}.c)
  set_target_properties(uvmsim_${tool} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${UVMSIM_BUILTIN_DIR}/tools)
endforeach()

# Can the program compiler link static programs?  Probed once per build directory.
function(_uvmsim_probe var)
  if(DEFINED CACHE{${var}})
    return()
  endif()
  set(dir ${CMAKE_BINARY_DIR}/CMakeFiles/uvmsim-probe)
  file(MAKE_DIRECTORY ${dir})
  file(WRITE ${dir}/probe.c "${_probe_src}")
  execute_process(COMMAND ${UVMSIM_PROGRAM_CC} ${ARGN} -o ${dir}/probe ${dir}/probe.c
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(${var} ON CACHE INTERNAL "")
  else()
    set(${var} OFF CACHE INTERNAL "")
  endif()
endfunction()

set(UVMSIM_STATIC_FLAGS -static -no-pie -O1)
set(UVMSIM_M32_FLAGS -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie -fno-stack-protector -O1)
set(UVMSIM_PIE_FLAGS -static-pie -fPIE -O1)

if(UVMSIM_BUILTIN_IMAGE)
  find_program(UVMSIM_MKE2FS mke2fs PATHS /usr/sbin /sbin)
  if(NOT UVMSIM_MKE2FS)
    message(FATAL_ERROR "mke2fs not found: install e2fsprogs (./scripts/quickstart deps), "
                        "or configure with -DUVMSIM_BUILTIN_IMAGE=OFF")
  endif()
  set(_probe_src "#include <stdio.h>\nint main(void) { puts(\"x\"); return 0; }\n")
  _uvmsim_probe(UVMSIM_HAVE_STATIC_CC ${UVMSIM_STATIC_FLAGS})
  if(NOT UVMSIM_HAVE_STATIC_CC)
    message(FATAL_ERROR "${UVMSIM_PROGRAM_CC} cannot link a static program (${UVMSIM_STATIC_FLAGS}): "
                        "install the static C library (Debian: libc6-dev), or configure with -DUVMSIM_BUILTIN_IMAGE=OFF")
  endif()
  set(_probe_src "void _start(void) { for (;;) ; }\n")
  _uvmsim_probe(UVMSIM_HAVE_M32_CC ${UVMSIM_M32_FLAGS})
  # Building i386 programs is one thing, running them another: a kernel without IA-32
  # emulation answers "Exec format error".  The simulator's own exec of hello32 needs only
  # the former; the native run of hello32 needs both.  The probe exits 0 by int $0x80.
  if(UVMSIM_HAVE_M32_CC AND NOT DEFINED CACHE{UVMSIM_HOST_RUNS_I386})
    set(dir ${CMAKE_BINARY_DIR}/CMakeFiles/uvmsim-probe)
    file(WRITE ${dir}/run32.c "void _start(void)\n{\n    __asm__ volatile(\"movl $1, %eax\\n\\txorl %ebx, %ebx\\n\\tint $0x80\");\n    for (;;) ;\n}\n")
    execute_process(COMMAND ${UVMSIM_PROGRAM_CC} ${UVMSIM_M32_FLAGS} -o ${dir}/run32 ${dir}/run32.c
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      execute_process(COMMAND ${dir}/run32 RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE why TIMEOUT 10)
    endif()
    if(rc EQUAL 0)
      set(UVMSIM_HOST_RUNS_I386 ON CACHE BOOL "The host kernel runs i386 programs (probed)")
    else()
      string(STRIP "${rc} ${why}" why)
      set(UVMSIM_HOST_RUNS_I386 OFF CACHE BOOL "The host kernel runs i386 programs (probed)")
      set(UVMSIM_HOST_I386_WHY "${why}" CACHE INTERNAL "")
    endif()
  endif()
  set(_probe_src "#include <stdio.h>\nint main(void) { puts(\"x\"); return 0; }\n")
  _uvmsim_probe(UVMSIM_HAVE_PIE_CC ${UVMSIM_PIE_FLAGS})

  set(_programs hello bigdata)
  if(UVMSIM_HAVE_M32_CC)
    list(APPEND _programs hello32)
  endif()
  if(UVMSIM_HAVE_PIE_CC)
    list(APPEND _programs hellopie)
  endif()
  set(_program_files "")
  set(_image_files "")
  foreach(name ${_programs})
    set(flags ${UVMSIM_STATIC_FLAGS})
    set(src ${name})
    if(name STREQUAL "hello32")
      set(flags ${UVMSIM_M32_FLAGS})
    elseif(name STREQUAL "hellopie")
      set(flags ${UVMSIM_PIE_FLAGS})
      set(src hello)
    endif()
    set(out ${UVMSIM_PROGRAMS_DIR}/${name})
    add_custom_command(OUTPUT ${out}
      COMMAND ${UVMSIM_PROGRAM_CC} ${flags} -o ${out} ${CMAKE_SOURCE_DIR}/tests/programs/${src}.c
      DEPENDS ${CMAKE_SOURCE_DIR}/tests/programs/${src}.c
      COMMENT "Linking static test program ${name}" VERBATIM)
    if(NOT name STREQUAL "hellopie")
      list(APPEND _image_files ${out})
    endif()
    list(APPEND _program_files ${out})
  endforeach()

  add_custom_command(OUTPUT ${UVMSIM_BUILTIN_IMG} ${UVMSIM_BUILTIN_IMG1K}
    COMMAND ${CMAKE_COMMAND} -DROOT=${UVMSIM_BUILTIN_DIR}/root "-DPROGRAMS=${_image_files}"
            -DMKSPARSE=$<TARGET_FILE:uvmsim_mksparse> -DMKE2FS=${UVMSIM_MKE2FS}
            -DIMAGE4K=${UVMSIM_BUILTIN_IMG} -DIMAGE1K=${UVMSIM_BUILTIN_IMG1K}
            -P ${CMAKE_SOURCE_DIR}/cmake/mkimage.cmake
    DEPENDS ${_image_files} uvmsim_mksparse ${CMAKE_SOURCE_DIR}/cmake/mkimage.cmake
    COMMENT "Making the ext2 images (mke2fs -d)" VERBATIM)
  add_custom_command(OUTPUT ${_bi_gen}
    COMMAND uvmsim_bin2c ${UVMSIM_BUILTIN_IMG} ${_bi_gen} uvmsim_builtin_image_data
    DEPENDS uvmsim_bin2c ${UVMSIM_BUILTIN_IMG}
    COMMENT "Embedding the built-in image (bin2c)" VERBATIM)
  add_custom_target(uvmsim_images ALL DEPENDS ${_program_files} ${UVMSIM_BUILTIN_IMG} ${UVMSIM_BUILTIN_IMG1K})
else()
  file(WRITE ${_bi_gen}.tmp "/* No built-in image (UVMSIM_BUILTIN_IMAGE=OFF). */\n#include <stddef.h>\n"
    "extern const size_t uvmsim_builtin_image_data_size;\nextern const unsigned char uvmsim_builtin_image_data[];\n"
    "const size_t uvmsim_builtin_image_data_size = 0;\nconst unsigned char uvmsim_builtin_image_data[1] = {0};\n")
  file(COPY_FILE ${_bi_gen}.tmp ${_bi_gen} ONLY_IF_DIFFERENT)
  add_custom_target(uvmsim_images)
endif()

add_library(uvmsim_builtin STATIC ${_bi_src}/builtin.c ${_bi_gen})
set_target_properties(uvmsim_builtin PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(uvmsim_builtin PUBLIC $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>)
# The image rules would otherwise run in both targets at once under make -j (each target
# carries the custom commands it depends on): the images target goes first.
add_dependencies(uvmsim_builtin uvmsim_images)

# Run at the end of the top-level CMakeLists.txt, when the examples and the test
# executables exist.
function(_uvmsim_builtin_finish)
  if(UVMSIM_BUILD_EXAMPLES)
    get_property(targets DIRECTORY ${CMAKE_SOURCE_DIR}/examples PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t ${targets})
      get_target_property(type ${t} TYPE)
      if(type STREQUAL "EXECUTABLE")
        target_link_libraries(${t} PRIVATE uvmsim_builtin)
      endif()
    endforeach()
  endif()
  if(NOT UVMSIM_BUILD_TESTS)
    return()
  endif()
  foreach(t test_exec test_xip test_fuzz test_wire)
    if(TARGET ${t})
      target_link_libraries(${t} PRIVATE uvmsim_builtin)
      add_dependencies(${t} uvmsim_images)
      # Without images the suites have nothing to load: they say so and pass.
      if(UVMSIM_BUILTIN_IMAGE)
        set(no_images 0)
      else()
        set(no_images 1)
      endif()
      target_compile_definitions(${t} PRIVATE UVMSIM_PROGRAMS_DIR="${UVMSIM_PROGRAMS_DIR}"
        UVMSIM_BUILTIN_IMG="${UVMSIM_BUILTIN_IMG}" UVMSIM_BUILTIN_IMG1K="${UVMSIM_BUILTIN_IMG1K}"
        UVMSIM_BUILTIN_ROOT="${UVMSIM_BUILTIN_DIR}/root" UVMSIM_NO_IMAGES=${no_images})
    endif()
  endforeach()
  if(NOT UVMSIM_BUILTIN_IMAGE)
    return()
  endif()
  # The programs are real: run them natively.
  add_test(NAME programs/hello COMMAND ${UVMSIM_PROGRAMS_DIR}/hello)
  set_tests_properties(programs/hello PROPERTIES LABELS "unit;programs"
    PASS_REGULAR_EXPRESSION "^hello, world \\(3 letters l\\)\n$")
  add_test(NAME programs/bigdata COMMAND ${UVMSIM_PROGRAMS_DIR}/bigdata)
  set_tests_properties(programs/bigdata PROPERTIES LABELS "unit;programs"
    PASS_REGULAR_EXPRESSION "^bigdata: sum 33558528 \\(ok\\)\n$")
  if(UVMSIM_HAVE_PIE_CC)
    add_test(NAME programs/hellopie COMMAND ${UVMSIM_PROGRAMS_DIR}/hellopie)
    set_tests_properties(programs/hellopie PROPERTIES LABELS "unit;programs"
      PASS_REGULAR_EXPRESSION "^hello, world \\(3 letters l\\)\n$")
  endif()
  if(UVMSIM_HAVE_M32_CC AND UVMSIM_HOST_RUNS_I386)
    add_test(NAME programs/hello32 COMMAND ${UVMSIM_PROGRAMS_DIR}/hello32)
    set_tests_properties(programs/hello32 PROPERTIES LABELS "unit;programs"
      PASS_REGULAR_EXPRESSION "^hello from a 32-bit static program\n$")
  elseif(UVMSIM_HAVE_M32_CC)
    # The simulator still execs hello32 (tests/vm/test_exec.c); only the native run goes.
    uvmsim_host_missing("i386 execution" "the native run of programs/hello32")
    uvmsim_skip_test(programs/hello32 "unit;programs"
      "this host's kernel cannot run i386 programs (a probe program failed: ${UVMSIM_HOST_I386_WHY}); the simulator's exec of hello32 still runs in vm/test_exec")
  else()
    uvmsim_host_missing("i386 compiler support (gcc -m32)" "hello32 is not built")
    uvmsim_skip_test(programs/hello32 "unit;programs"
      "${UVMSIM_PROGRAM_CC} cannot build -m32 programs (Debian: gcc-multilib); hello32 is neither built nor exec'd")
  endif()
  if(TARGET xip-exec)
    add_test(NAME examples/xip-exec
      COMMAND ${CMAKE_COMMAND} -DXIP_EXEC=$<TARGET_FILE:xip-exec> -DIMAGE=${UVMSIM_BUILTIN_IMG}
              -DIMAGE1K=${UVMSIM_BUILTIN_IMG1K}
              -P ${CMAKE_SOURCE_DIR}/tests/examples/xip_exec_check.cmake)
    set_tests_properties(examples/xip-exec PROPERTIES LABELS "unit;examples" TIMEOUT 300)
    if(VALGRIND AND NOT UVMSIM_SANITIZE)
      add_test(NAME memcheck/examples/xip-exec
        COMMAND ${VALGRIND} --quiet --error-exitcode=99 --leak-check=full
                --errors-for-leak-kinds=definite --show-leak-kinds=definite
                $<TARGET_FILE:xip-exec> --json --procs 2)
      set_tests_properties(memcheck/examples/xip-exec PROPERTIES LABELS "memcheck;examples"
        PASS_REGULAR_EXPRESSION "\"xip\": \\{.*\"copy\": \\{" TIMEOUT 900)
    endif()
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _uvmsim_builtin_finish)
