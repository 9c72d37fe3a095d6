/* normalize.h - the kernel's record format (abi/adi_abi.h) into the
 * engine's normalized raw event. Shared by the eBPF backend (ring buffer
 * records) and the ptrace backend (which builds the same records). */
#ifndef ADI_NORMALIZE_H
#define ADI_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>
#include "../lib/raw_event.h"

/* Convert one record (size bytes at rec) into *ev, whose pointers then
 * point into rec. wall_off is added to the timestamps. Returns 0, or
 * -EINVAL for a record that is short or inconsistent. Pure: unit tests
 * call it with hand-built records. */
int adi_normalize_record(const void *rec, size_t size, int64_t wall_off,
			 struct adi_raw_event *ev);

#endif
