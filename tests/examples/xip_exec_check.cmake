# Runs build/bin/xip-exec the ways a person would and checks what it prints; the JSON
# is parsed with string(JSON) (CMake >= 3.19), so no python is needed.
#   cmake -DXIP_EXEC=<path> -DIMAGE=<4 KiB image> -DIMAGE1K=<1 KiB image> -P xip_exec_check.cmake
# Fails (FATAL_ERROR) on the first unexpected exit status, value or missing line.

cmake_minimum_required(VERSION 3.19)
foreach(v XIP_EXEC IMAGE IMAGE1K)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "usage: cmake -DXIP_EXEC=... -DIMAGE=... -DIMAGE1K=... -P xip_exec_check.cmake")
  endif()
endforeach()

set(CHECK_TOOL ${XIP_EXEC})
set(CHECK_NAME xip-exec)
include(${CMAKE_CURRENT_LIST_DIR}/check_common.cmake)

# j(<var> <json> keys...) → the value, or FATAL_ERROR naming the missing member
function(j var json)
  string(JSON v ERROR_VARIABLE e GET "${json}" ${ARGN})
  if(e)
    message(FATAL_ERROR "JSON member ${ARGN}: ${e}\n${json}")
  endif()
  set(${var} "${v}" PARENT_SCOPE)
endfunction()

function(check_cmp what a op b)
  if(NOT "${a}" ${op} "${b}")
    message(FATAL_ERROR "${what}: ${a} ${op} ${b} does not hold")
  endif()
endfunction()

# The JSON report checks what XIP promises, for N processes running one program.
function(check_json json procs)
  j(np "${json}" procs)
  check_cmp("procs" "${np}" EQUAL ${procs})
  foreach(side xip copy)
    foreach(member ram_pages faults bytes_copied io_requests pv_entries text_pages)
      j(_ "${json}" ${side} ${member})
    endforeach()
    foreach(cls upper-direct upper-promote lower-direct lower-promote zero-fill error)
      j(n_${side}_${cls} "${json}" ${side} faults ${cls})
      if(NOT n_${side}_${cls} MATCHES "^[0-9]+$")
        message(FATAL_ERROR "${side}.faults.${cls} is not a count: ${n_${side}_${cls}}")
      endif()
    endforeach()
    foreach(member ram_pages object_pages anon_pages bytes_copied io_requests pv_entries pv_entries_device
                   text_pages data_pages bss_pages pager)
      j(${side}_${member} "${json}" ${side} ${member})
    endforeach()
  endforeach()
  check_cmp("text pages" "${xip_text_pages}" EQUAL "${copy_text_pages}")
  check_cmp("text pages > 0" "${xip_text_pages}" GREATER 0)
  check_cmp("xip pager" "${xip_pager}" MATCHES "^xip-")
  check_cmp("copy pager" "${copy_pager}" STREQUAL "vnode")
  # XIP: no page cache, no pager I/O, text mapped from the device in every process
  check_cmp("xip object pages" "${xip_object_pages}" EQUAL 0)
  check_cmp("xip pager I/O" "${xip_io_requests}" EQUAL 0)
  # device pages have PV entries under the NetBSD design (the XIP vnode pager, the PV
  # hash); the fault-op design's pager enters them unmanaged: none at all
  j(design "${json}" xip_design)
  if(design STREQUAL "faultop")
    check_cmp("xip device PV entries (fault-op: unmanaged)" "${xip_pv_entries_device}" EQUAL 0)
  else()
    math(EXPR min_dev "${procs} * ${xip_text_pages}")
    check_cmp("xip device PV entries" "${xip_pv_entries_device}" GREATER_EQUAL ${min_dev})
  endif()
  # copy: the text sits in the page cache once, read through strategy I/O
  check_cmp("copy object pages" "${copy_object_pages}" GREATER_EQUAL "${copy_text_pages}")
  check_cmp("copy pager I/O" "${copy_io_requests}" GREATER 0)
  check_cmp("copy device PV entries" "${copy_pv_entries_device}" EQUAL 0)
  check_cmp("RAM: xip < copy" "${xip_ram_pages}" LESS "${copy_ram_pages}")
  math(EXPR saved "${copy_ram_pages} - ${xip_ram_pages}")
  check_cmp("RAM saved >= text pages" "${saved}" GREATER_EQUAL "${copy_text_pages}")
  # private pages are the same on both: every data page promotes, .bss and stack zero-fill
  check_cmp("anon pages" "${xip_anon_pages}" EQUAL "${copy_anon_pages}")
  check_cmp("lower-promote" "${n_xip_lower-promote}" EQUAL "${n_copy_lower-promote}")
  math(EXPR min_promote "${procs} * ${xip_data_pages}")
  check_cmp("lower-promote >= procs x data pages" "${n_xip_lower-promote}" GREATER_EQUAL ${min_promote})
  check_cmp("zero-fill" "${n_xip_zero-fill}" EQUAL "${n_copy_zero-fill}")
  check_cmp("bytes copied" "${xip_bytes_copied}" EQUAL "${copy_bytes_copied}")
  check_cmp("lower-direct (xip)" "${n_xip_lower-direct}" GREATER 0)
  check_cmp("errors (xip)" "${n_xip_error}" EQUAL 0)
  check_cmp("errors (copy)" "${n_copy_error}" EQUAL 0)
endfunction()

# --help
run(help 0 --help)
expect("${help_out}" "usage: xip-exec \\[--json\\] \\[--procs N\\]")

# the default: built-in image, /bin/hello, 4 processes
run(json 0 --json)
check_json("${json_out}" 4)
j(prog "${json_out}" program)
check_cmp("program" "${prog}" STREQUAL "/bin/hello")
j(img "${json_out}" image)
check_cmp("image" "${img}" STREQUAL "built-in")

# the second XIP design gives the same RAM and classes
run(fop 0 --json --faultop --procs 3)
check_json("${fop_out}" 3)
j(d "${fop_out}" xip_design)
check_cmp("design" "${d}" STREQUAL "faultop")
j(fpager "${fop_out}" xip pager)
check_cmp("faultop pager" "${fpager}" STREQUAL "xip-pager")

# an image file and another program
run(file 0 --json --procs 2 ${IMAGE} /bin/bigdata)
check_json("${file_out}" 2)
j(dp "${file_out}" xip data_pages)
check_cmp("bigdata data pages" "${dp}" GREATER_EQUAL 8)

# the text report
run(txt 0 --procs 2)
expect("${txt_out}" "xip-exec: /bin/hello from the built-in image, 2 processes per machine, pmap generic")
expect("${txt_out}" "text pager +xip-vnode +vnode")
expect("${txt_out}" "I/O requests by pagers +0 +[1-9][0-9]*")
expect("${txt_out}" "faults lower-promote +([0-9]+) +[0-9]+")
expect("${txt_out}" "XIP saves [1-9][0-9]* RAM pages")

# refusals and bad input: input errors exit 2 and say why
run(k1 2 ${IMAGE1K})
expect("${k1_err}" "xip-exec: XIP mount: .*XIP")
run(noimg 2 /nonexistent/image.img)
expect("${noimg_err}" "xip-exec: image: no such file or directory: image /nonexistent/image.img does not exist")
run(noprog 2 ${IMAGE} /bin/nothere)
expect("${noprog_err}" "xip-exec: /bin/nothere: ")
run(notexec 2 ${IMAGE} /data/sparse)
expect("${notexec_err}" "xip-exec: /data/sparse: .*execute")
run(p0 2 --procs 0)
expect("${p0_err}" "xip-exec: --procs: '0' is out of range \\(1 to 64\\)")
run(pjunk 2 --procs 3x)
expect("${pjunk_err}" "xip-exec: --procs: '3x' is not a number")
run(pmiss 2 --procs)
expect("${pmiss_err}" "xip-exec: --procs needs a value")
run(bogus 2 --bogus)
expect("${bogus_err}" "unknown option '--bogus'")
run(badpmap 2 --pmap nosuch)
expect("${badpmap_err}" "xip-exec: --pmap: no 'nosuch' \\(valid: generic armv5 fass\\)")
run(many 2 a b c)
expect("${many_err}" "unexpected argument 'c'")
run(ver 0 --version)
expect("${ver_out}" "^xip-exec \\(uvmsim\\) [0-9]+\\.[0-9]+\\.[0-9]+")
message(STATUS "xip-exec: all checks passed")
