# Install-time writer of uvmsim.pc, run through install(CODE) so the paths in the file are
# those of the prefix really installed to (cmake --install --prefix P), not the prefix
# configured.  Inputs: PC_IN, PC_STAGE (a scratch file in the build tree), PROJECT_VERSION,
# LIBDIR and INCLUDEDIR (as GNUInstallDirs gives them, relative or absolute) and
# CMAKE_INSTALL_PREFIX (set by cmake --install).
foreach(v LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${${v}}")
    set(UVMSIM_PC_${v} "${${v}}")
  else()
    set(UVMSIM_PC_${v} "\${prefix}/${${v}}")
  endif()
endforeach()
set(UVMSIM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
configure_file("${PC_IN}" "${PC_STAGE}" @ONLY)
if(IS_ABSOLUTE "${LIBDIR}")
  set(_pcdir "${LIBDIR}/pkgconfig")
else()
  set(_pcdir "${CMAKE_INSTALL_PREFIX}/${LIBDIR}/pkgconfig")
endif()
# file(INSTALL) honours DESTDIR and reports the file like every other install rule.
file(INSTALL DESTINATION "${_pcdir}" TYPE FILE FILES "${PC_STAGE}" RENAME uvmsim.pc)
