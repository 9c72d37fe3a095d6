# version.cmake - the version of this build (cmake -P, at every build):
# BASE, the project's VERSION, and in a git checkout of SRC_DIR what
# `git describe` says of HEAD, as semver build metadata:
#   at the tag v<BASE>, clean      0.1.0
#   N commits after a v* tag       0.1.0+N.g<hash>
#   no v* tag: N commits in all    0.1.0+N.g<hash>
#   uncommitted changes            ... .dirty
# BASE is the release this build is or follows; N makes later builds of a
# branch sort later, as Debian compares versions.
# Writes OUT_H (ADI_VERSION for src/lib/version.c) and OUT_TXT (the bare
# string, for CPack) only when their text changes: an unchanged version
# rebuilds nothing. Not a checkout (a source tarball), or no git: BASE.
set(version "${BASE}")
find_program(ADI_GIT git)
if(ADI_GIT)
  execute_process(COMMAND ${ADI_GIT} -C "${SRC_DIR}" rev-parse --show-toplevel
    OUTPUT_VARIABLE top RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0 AND top)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SRC_DIR}" src)
  endif()
  # the sources' own checkout, not one they were unpacked into
  if(rc EQUAL 0 AND top STREQUAL src)
    execute_process(COMMAND ${ADI_GIT} -C "${SRC_DIR}" describe --tags --match "v[0-9]*"
        --always --dirty --abbrev=12
      OUTPUT_VARIABLE desc RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    set(meta "")
    if(rc EQUAL 0 AND desc MATCHES "^v[0-9][^-]*(-([0-9]+)-g([0-9a-f]+))?(-dirty)?$")
      if(CMAKE_MATCH_1)
        list(APPEND meta "${CMAKE_MATCH_2}" "g${CMAKE_MATCH_3}")
      endif()
      if(CMAKE_MATCH_4)
        list(APPEND meta dirty)
      endif()
    elseif(rc EQUAL 0 AND desc MATCHES "^([0-9a-f]+)(-dirty)?$")
      set(hash "${CMAKE_MATCH_1}")
      set(dirty "${CMAKE_MATCH_2}")
      # no tag: the commits since the start, so that later builds sort
      # later (a Debian package's version; the hash alone would not)
      execute_process(COMMAND ${ADI_GIT} -C "${SRC_DIR}" rev-list --count HEAD
        OUTPUT_VARIABLE count OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(count MATCHES "^[0-9]+$")
        list(APPEND meta "${count}")
      endif()
      list(APPEND meta "g${hash}")
      if(dirty)
        list(APPEND meta dirty)
      endif()
    endif()
    if(meta)
      list(JOIN meta "." meta)
      set(version "${BASE}+${meta}")
    endif()
  endif()
endif()

function(adi_write_if_changed path text)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL text)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${text}")
endfunction()

adi_write_if_changed("${OUT_H}"
  "/* written by cmake/version.cmake at every build: do not edit */\n#define ADI_VERSION \"${version}\"\n")
adi_write_if_changed("${OUT_TXT}" "${version}\n")
