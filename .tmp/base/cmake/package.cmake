# package.cmake - `cpack -G DEB` from the build folder: a Debian package of
# what `cmake --install` puts in place (docs/install.md). Its Depends are
# computed from the binary's shared libraries (dpkg-shlibdeps); its version
# is the build's (version.txt, read when cpack runs: cmake/cpack-version.cmake).
set(CPACK_PACKAGE_NAME adi-profiler)
set(CPACK_PACKAGE_VENDOR "adi-profiler")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "zero-instrumentation profiler: what a program did on disk and on the wire")
set(CPACK_PACKAGE_DESCRIPTION
  "adi-profiler watches a program from the kernel (eBPF, CO-RE; ptrace where eBPF
cannot start) and prints, as a timeline, what the program and every process it
starts did on disk and on the wire: processes, files, connections, HTTP/1,
HTTP/2 and gRPC, PostgreSQL, MySQL, Redis and MongoDB requests, with no change
to the program. Output as text, JSON Lines or an SQLite store, and a web UI.")
set(CPACK_PACKAGE_VERSION ${ADI_VERSION}) # replaced at cpack time by the build's
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON) # RelWithDebInfo's debug info stays in the build folder
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/cmake/cpack-version.cmake)
# CPACK_-named: CPack writes only those into its config
set(CPACK_ADI_VERSION_TXT ${GEN}/version.txt)

set(ADI_PACKAGE_MAINTAINER "adi-profiler maintainers <maintainers@users.noreply.r-seed-1c1b05fb.example>"
  CACHE STRING "the Debian package's Maintainer")
set(ADI_HOMEPAGE "" CACHE STRING "the Debian package's Homepage (none when empty)")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ADI_PACKAGE_MAINTAINER}")
if(ADI_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${ADI_HOMEPAGE}")
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # adi-profiler_<version>-1_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# the sqlite3 shell: plain SQL over a trace store (README.md)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3")
include(CPack)
