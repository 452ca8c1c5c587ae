# Runs build/bin/physmap the ways a person would and checks what it prints.
#   cmake -DPHYSMAP=<path> -DWORKDIR=<dir> -P physmap_check.cmake
# Fails (FATAL_ERROR) on the first unexpected exit status or missing line.

if(NOT PHYSMAP OR NOT WORKDIR)
  message(FATAL_ERROR "usage: cmake -DPHYSMAP=... -DWORKDIR=... -P physmap_check.cmake")
endif()
file(MAKE_DIRECTORY ${WORKDIR})

set(CHECK_TOOL ${PHYSMAP})
set(CHECK_NAME physmap)
include(${CMAKE_CURRENT_LIST_DIR}/check_common.cmake)

function(count_matches text regex want)
  string(REGEX MATCHALL "${regex}" hits "${text}")
  list(LENGTH hits n)
  if(NOT n EQUAL want)
    message(FATAL_ERROR "expected ${want} matches of /${regex}/, got ${n} in:\n${text}")
  endif()
endfunction()

# --help
run(help 0 --help)
expect("${help_out}" "usage: physmap \\[options\\] \\[IMAGE\\]")

# Built-in pattern: 16 MiB of RAM at 0 and a 4 MiB device at the NOR base.
run(pat 0)
expect("${pat_out}" "built-in pattern \\(seed 1\\), 8192 blocks of 512 bytes at 0x40000000")
expect("${pat_out}" "sizeof\\(struct vm_page\\) = [0-9]+ bytes")
expect("${pat_out}" "0 +RAM +0x0000000000000000 0x0000000001000000 +16 MiB +4096 +[1-9][0-9]* B")
expect("${pat_out}" "1 +DEVICE 0x0000000040000000 0x0000000040400000 +4 MiB +1024 +0 B +0.00%")
expect("${pat_out}" "device 1024 pages -> 0 bytes")
count_matches("${pat_out}" "block [0-9]+ +pa 0x[0-9a-f]+ +word0 [0-9a-f]+ +OK\n" 8)
expect("${pat_out}" "block 8191 +pa 0x00403ffe00")
expect("${pat_out}" "8 blocks OK, 0 MISMATCH")

# An image file: 16 blocks of 4096 bytes, each starting with its own tag.
set(img ${WORKDIR}/physmap_test.img)
set(pad "")
string(REPEAT "." 4089 pad)
set(content "")
foreach(i RANGE 10 25)
  string(APPEND content "blk${i}:${pad}\n")
endforeach()
file(WRITE ${img} "${content}")
file(SIZE ${img} sz)
if(NOT sz EQUAL 65536)
  message(FATAL_ERROR "test image is ${sz} bytes, wanted 65536")
endif()
run(img 0 --block-size 4096 --check 0 ${img})
expect("${img_out}" "64 KiB from .*physmap_test.img, 16 blocks of 4096 bytes at 0x40000000")
expect("${img_out}" "1 +DEVICE 0x0000000040000000 0x0000000040010000 +64 KiB +16 +0 B")
count_matches("${img_out}" "  OK\n" 16)
# The window really holds the file: "blk10:.." is 62 6c 6b 31 30 3a 2e 2e, printed as a
# little-endian word; block 15 starts "blk25:..".
expect("${img_out}" "block 0 +pa 0x0040000000 +word0 2e2e3a30316b6c62 +OK")
expect("${img_out}" "block 15 +pa 0x004000f000 +word0 2e2e3a35326b6c62 +OK")
expect("${img_out}" "16 blocks OK, 0 MISMATCH")

# Another page size: 512-byte pages, eight times the pages and the metadata for RAM.
run(p512 0 --page-size 512 --pattern-size 64K)
expect("${p512_out}" "page size 512,")
expect("${p512_out}" "0 +RAM +0x0000000000000000 0x0000000001000000 +16 MiB +32768 ")
expect("${p512_out}" "1 +DEVICE 0x0000000040000000 0x0000000040010000 +64 KiB +128 +0 B")
expect("${p512_out}" "8 blocks OK, 0 MISMATCH")

# Errors: missing file, bad size, too large for the window, bad options.
run(missing 2 ${WORKDIR}/no-such-image.img)
expect("${missing_err}" "cannot attach NOR device from .*no-such-image.img: image .*no-such-image.img does not exist \\[ENOENT\\]")
file(WRITE ${WORKDIR}/physmap_odd.img "not a multiple of anything")
run(odd 2 ${WORKDIR}/physmap_odd.img)
expect("${odd_err}" "physmap_odd.img is 26 bytes: a NOR image must be a whole number of 512-byte blocks and of 4096-byte pages \\[EALIGN\\]")
run(big 2 --pattern-size 128M)
expect("${big_err}" "the pattern is 134217728 bytes, larger than the 67108864-byte NOR window \\[ERANGE\\]")
run(bs 2 --block-size 1000)
expect("${bs_err}" "NOR block size 1000 is not a power of two \\[EINVAL\\]")
run(ps 2 --page-size 3000)
expect("${ps_err}" "physmap: cannot create the machine: page size 3000: must be a power of two from 512 bytes to 1 MiB")
run(opt 2 --frobnicate)
expect("${opt_err}" "unknown option '--frobnicate'")
run(num 2 --check)
expect("${num_err}" "--check needs a value")
run(two 2 a.img b.img)
expect("${two_err}" "unexpected argument 'b.img' \\(arguments: \\[IMAGE\\]\\)")
# Strict numbers: no silent defaults, no trailing junk, no sizes where a count is meant.
run(b0 2 -b 0)
expect("${b0_err}" "physmap: --block-size: '0' is out of range \\(1 to 1048576\\)")
run(n1x 2 -n 1x)
expect("${n1x_err}" "physmap: --check: '1x' is not a number")
run(n16g 2 --check 16G)
expect("${n16g_err}" "physmap: --check: '16G' is not a number")
run(neg 2 --seed -1)
expect("${neg_err}" "physmap: --seed: '-1' is not a number")
run(ver 0 --version)
expect("${ver_out}" "^physmap \\(uvmsim\\) [0-9]+\\.[0-9]+\\.[0-9]+\n$")
# Long options and their short aliases say the same; --name=value too.
run(long 0 --page-size=4K --block-size 4K --pattern-size 64K --check 2 --ram 32M)
run(short 0 -p 4096 -b 4096 -s 65536 -n 2 --ram 32M)
if(NOT long_out STREQUAL short_out)
  message(FATAL_ERROR "long and short options differ:\n${long_out}\n---\n${short_out}")
endif()
expect("${long_out}" "machine: 32 MiB RAM;")
# JSON: one object with the map, the metadata and the comparison.
run(json 0 --json --pattern-size 64K --check 4)
expect("${json_out}" "^\\{\"machine\": \\{\"ram_bytes\": 16777216, \"page_size\": 4096\\}")
expect("${json_out}" "\"kind\": \"device\", \"start\": \"0x40000000\", \"end\": \"0x40010000\", \"bytes\": 65536, \"pages\": 16, \"metadata_bytes\": 0")
expect("${json_out}" "\"compare\": \\{\"ok\": 4, \"mismatch\": 0, \"complete\": true\\}\\}\n$")
file(REMOVE ${img} ${WORKDIR}/physmap_odd.img)
message(STATUS "physmap: all checks passed")
