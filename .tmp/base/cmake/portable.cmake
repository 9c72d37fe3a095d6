# portable.cmake - ADI_PORTABLE: one adi-profiler binary that needs nothing
# but glibc (docs/install.md). Every other library comes from its static
# archive as Debian's -dev packages ship it; snappy is C++, so its runtime
# (libstdc++.a, libgcc's) is linked statically too. mimalloc is the one
# library Debian ships no archive of: ADI_MIMALLOC_STATIC names a mimalloc.o
# or libmimalloc.a built from Debian's own source
# (scripts/build-mimalloc-static.sh); without it the binary keeps glibc's
# malloc. Sets ADI_CORE_LIBS (what the engine links), ADI_EBPF_LIBS (the
# eBPF backend's) and ADI_MIMALLOC_LINK (empty, or the allocator).

# adi_static(<name> <archive> [deps...]): an imported target adi::<name>
# for the archive (a full file name: never its shared sibling).
function(adi_static name archive)
  find_library(ADI_STATIC_${name} NAMES ${archive})
  if(NOT ADI_STATIC_${name})
    message(FATAL_ERROR "ADI_PORTABLE: ${archive} not found "
      "(scripts/install-deps.sh installs the -dev packages that ship it)")
  endif()
  add_library(adi::${name} STATIC IMPORTED)
  set_target_properties(adi::${name} PROPERTIES IMPORTED_LOCATION ${ADI_STATIC_${name}}
    INTERFACE_LINK_LIBRARIES "${ARGN}")
endfunction()

# snappy's C++ runtime, as the compiler finds it
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libstdc++.a
  OUTPUT_VARIABLE ADI_LIBSTDCXX OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_ABSOLUTE "${ADI_LIBSTDCXX}" OR NOT EXISTS "${ADI_LIBSTDCXX}")
  message(FATAL_ERROR "ADI_PORTABLE: no libstdc++.a (apt-get install libstdc++-12-dev)")
endif()

adi_static(z libz.a)
adi_static(zstd libzstd.a)
adi_static(elf libelf.a adi::z)
adi_static(bpf libbpf.a adi::elf adi::z)
adi_static(nghttp2 libnghttp2.a)
adi_static(bson libbson-static-1.0.a)
adi_static(snappy libsnappy.a ${ADI_LIBSTDCXX} m)
adi_static(sqlite3 libsqlite3.a m)
# libbson's headers as its static .pc asks (BSON_STATIC: no import markers)
set_target_properties(adi::bson PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LIBBSON_INCLUDE_DIRS}" INTERFACE_COMPILE_DEFINITIONS BSON_STATIC)
set_target_properties(adi::zstd PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${LIBZSTD_INCLUDE_DIRS}")
set_target_properties(adi::nghttp2 PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LIBNGHTTP2_INCLUDE_DIRS}")
set_target_properties(adi::bpf PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${LIBBPF_INCLUDE_DIRS}")

set(ADI_CORE_LIBS adi::nghttp2 adi::bson adi::zstd adi::snappy adi::sqlite3 adi::z m)
set(ADI_EBPF_LIBS adi::bpf)

set(ADI_MIMALLOC_STATIC "" CACHE FILEPATH
  "ADI_PORTABLE: mimalloc.o or libmimalloc.a (scripts/build-mimalloc-static.sh)")
set(ADI_MIMALLOC_LINK "")
if(ADI_MIMALLOC AND NOT ADI_SANITIZE)
  if(ADI_MIMALLOC_STATIC)
    if(NOT EXISTS "${ADI_MIMALLOC_STATIC}")
      message(FATAL_ERROR "ADI_MIMALLOC_STATIC: ${ADI_MIMALLOC_STATIC} does not exist")
    endif()
    set(ADI_MIMALLOC_LINK ${ADI_MIMALLOC_STATIC})
  else()
    message(WARNING "ADI_PORTABLE without ADI_MIMALLOC_STATIC: Debian ships no static "
      "mimalloc, so the portable binary uses glibc's malloc (slower under load); "
      "scripts/build-mimalloc-static.sh builds one from Debian's source")
  endif()
endif()

# The C library stays shared (a static glibc breaks NSS and dlopen);
# libgcc's unwinder, which libstdc++ needs, goes in. --gc-sections drops
# what nothing reaches, among it libstdc++'s random_device and its
# arc4random@GLIBC_2.36 (pulled in with std::string): the binary then needs
# glibc 2.35, for _dl_find_object (libgcc's unwinder, GCC 12).
add_link_options(-static-libgcc -Wl,--gc-sections)
