/* version.h - the version of this adi-profiler build: the project's VERSION
 * (CMakeLists.txt) and, when built from a git checkout, what `git describe`
 * says of it (cmake/version.cmake, docs/install.md). What records it: the
 * trace_summary event, the SQLite store's meta table, --version. */
#ifndef ADI_VERSION_H
#define ADI_VERSION_H

/* "0.1.0" (the release's tag), "0.1.0+168.g87c185ea288f" (168 commits
 * after the tag, or in all when there is none), "....dirty" (uncommitted
 * changes); "unknown" when built without CMake (fuzz/run.sh). A static
 * string. */
const char *adi_version(void);

#endif
