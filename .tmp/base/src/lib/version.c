/* version.c - adi_version(): the string cmake/version.cmake writes into the
 * build folder at every build (so a new commit needs no re-configure). Only
 * this file includes it: a new version recompiles one file. */
#include "version.h"

#ifdef ADI_VERSION_GENERATED
/* generated in the build folder, not in src/: hence <> */
#include <adi_version.h>
#else
#define ADI_VERSION "unknown"
#endif

const char *adi_version(void)
{
	return ADI_VERSION;
}
