# cpack-version.cmake - read by cpack when it runs (CPACK_PROJECT_CONFIG_FILE):
# the package's version is the build's, as cmake/version.cmake last wrote it,
# not the one configure saw (a commit since then needs no re-configure).
if(EXISTS "${CPACK_ADI_VERSION_TXT}")
  file(STRINGS "${CPACK_ADI_VERSION_TXT}" CPACK_PACKAGE_VERSION LIMIT_COUNT 1)
endif()
