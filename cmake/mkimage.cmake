# Stage the built-in filesystem tree and make its ext2 images with the real mke2fs.
#   cmake -DROOT=dir -DPROGRAMS="a;b" -DMKSPARSE=tool -DMKE2FS=mke2fs
#         -DIMAGE4K=img -DIMAGE1K=img -P mkimage.cmake
# Run by the build (cmake/builtin.cmake).  The tree:
#   /bin/<program>...  /bin/hi -> hello  /data/sparse (holes)  /etc/motd
# UUID, hash seed and mke2fs's clock are fixed so the metadata layout is reproducible.

foreach(v ROOT PROGRAMS MKSPARSE MKE2FS IMAGE4K IMAGE1K)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "mkimage.cmake: -D${v}=... missing")
  endif()
endforeach()

file(REMOVE_RECURSE ${ROOT})
file(MAKE_DIRECTORY ${ROOT}/bin ${ROOT}/data ${ROOT}/etc)
set(total 0)
foreach(p ${PROGRAMS})
  file(COPY ${p} DESTINATION ${ROOT}/bin
    FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(SIZE ${p} sz)
  math(EXPR total "${total} + ${sz}")
endforeach()
file(CREATE_LINK hello ${ROOT}/bin/hi SYMBOLIC)
execute_process(COMMAND ${MKSPARSE} ${ROOT}/data/sparse RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mksparse failed (${rc})")
endif()
file(WRITE ${ROOT}/etc/motd "uvmsim built-in image: exec /bin/hello, XIP from NOR flash\n")

# Room for the files plus metadata: whole MiB, at least 2 MiB more than the data (1 KiB
# blocks need more indirect blocks and bigger inode tables).
math(EXPR mib4k "(${total} + 1048575) / 1048576 + 2")
math(EXPR mib1k "${mib4k} + 1")

set(fixed -U 01234567-89ab-cdef-0123-456789abcdef -E hash_seed=01234567-89ab-cdef-0123-456789abcdef)
foreach(spec "${IMAGE4K};4096;${mib4k}" "${IMAGE1K};1024;${mib1k}")
  list(GET spec 0 img)
  list(GET spec 1 bs)
  list(GET spec 2 mib)
  file(REMOVE ${img})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env E2FSPROGS_FAKE_TIME=1700000000
            ${MKE2FS} -q -F -t ext2 -b ${bs} ${fixed} -d ${ROOT} ${img} ${mib}M
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mke2fs -b ${bs} -d ${ROOT} ${img} ${mib}M failed (${rc}):\n${out}")
  endif()
endforeach()
