/* hold.h - the text timeline's hold (sink_text.c, docs/output.md "Focus"):
 * lines that wait, in timeline order, until the timeline knows whether to
 * write them or fold them. A FIFO of items, each a line's text (copied
 * into one buffer the hold keeps) and what the decision needs. Owns its
 * memory; holds nothing else. Bounded by its caller (adi_hold_bytes).
 */
#ifndef ADI_HOLD_H
#define ADI_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct adi_proc;

/* What a held line is. */
enum adi_hold_what {
	ADI_HOLD_LINE,  /* a line no rule folds: written when its turn comes */
	ADI_HOLD_FILE,  /* a file event's: written, or folded into its process */
	ADI_HOLD_EXIT,  /* a process's exit: its fold line comes first */
};

struct adi_hold_item {
	uint64_t ts;             /* the event's time */
	struct adi_proc *p;      /* its process (NULL: none known) */
	uint8_t what;            /* enum adi_hold_what */
	uint8_t rw;              /* file: 1 read, 2 write, 0 another op */
	bool failed;             /* file: the event says it failed */
	uint64_t bytes;          /* file read/write: its bytes */
	size_t off, len;         /* the text after the time column, in the hold */
};

struct adi_hold {
	struct adi_hold_item *it; /* a ring: it[(head + i) & (cap - 1)] */
	size_t head, n, cap;
	char *text;              /* the lines' text: [start, end) is in use */
	size_t start, end, tcap;
};

void adi_hold_init(struct adi_hold *h);
void adi_hold_fini(struct adi_hold *h);

/* Append an item (its off/len are set here) with len bytes of text.
 * 0 or -ENOMEM (nothing appended). */
int adi_hold_push(struct adi_hold *h, const struct adi_hold_item *item, const char *text,
		  size_t len);

/* The oldest item, or NULL when the hold is empty; its text. Valid until
 * the next push or pop. */
static inline struct adi_hold_item *adi_hold_front(struct adi_hold *h)
{
	return h->n ? &h->it[h->head] : NULL;
}
static inline const char *adi_hold_text(const struct adi_hold *h, const struct adi_hold_item *i)
{
	return h->text + i->off;
}

/* Drop the oldest item. */
void adi_hold_pop(struct adi_hold *h);

/* Bytes of text held. */
static inline size_t adi_hold_bytes(const struct adi_hold *h)
{
	return h->end - h->start;
}

#endif
