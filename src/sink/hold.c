/* hold.c - the text timeline's hold: a FIFO of lines waiting for their
 * decision (hold.h). Items in a power-of-two ring; their text in one
 * buffer, appended at the end and consumed from the start, moved back to
 * the front when the end runs out of room.
 */
#include "hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void adi_hold_init(struct adi_hold *h)
{
	memset(h, 0, sizeof(*h));
}

void adi_hold_fini(struct adi_hold *h)
{
	free(h->it);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

/* Room for more items: the ring doubled, unrolled into its new start. */
static int grow_items(struct adi_hold *h)
{
	size_t cap = h->cap ? h->cap * 2 : 256;
	struct adi_hold_item *it = malloc(cap * sizeof(*it));

	if (!it)
		return -ENOMEM;
	for (size_t i = 0; i < h->n; i++)
		it[i] = h->it[(h->head + i) & (h->cap - 1)];
	free(h->it);
	h->it = it;
	h->cap = cap;
	h->head = 0;
	return 0;
}

/* Room for len more bytes of text: what is in use moved to the front
 * (items' offsets with it), or the buffer grown. */
static int grow_text(struct adi_hold *h, size_t len)
{
	size_t used = h->end - h->start, cap = h->tcap ? h->tcap : 4096;
	char *nt;

	/* half empty after the move: moving is cheaper than growing, and
	 * happens at most once per half a buffer consumed */
	if (used + len <= h->tcap / 2) {
		memmove(h->text, h->text + h->start, used);
		for (size_t i = 0; i < h->n; i++)
			h->it[(h->head + i) & (h->cap - 1)].off -= h->start;
		h->start = 0;
		h->end = used;
		return 0;
	}
	while (cap < used + len)
		cap *= 2;
	nt = malloc(cap);
	if (!nt)
		return -ENOMEM;
	if (used)
		memcpy(nt, h->text + h->start, used);
	for (size_t i = 0; i < h->n; i++)
		h->it[(h->head + i) & (h->cap - 1)].off -= h->start;
	free(h->text);
	h->text = nt;
	h->tcap = cap;
	h->start = 0;
	h->end = used;
	return 0;
}

int adi_hold_push(struct adi_hold *h, const struct adi_hold_item *item, const char *text,
		  size_t len)
{
	struct adi_hold_item *slot;

	if (h->n == h->cap && grow_items(h))
		return -ENOMEM;
	if (h->tcap - h->end < len && grow_text(h, len))
		return -ENOMEM;
	slot = &h->it[(h->head + h->n) & (h->cap - 1)];
	*slot = *item;
	slot->off = h->end;
	slot->len = len;
	if (len)
		memcpy(h->text + h->end, text, len);
	h->end += len;
	h->n++;
	return 0;
}

void adi_hold_pop(struct adi_hold *h)
{
	const struct adi_hold_item *i;

	if (!h->n)
		return;
	i = &h->it[h->head];
	h->start = i->off + i->len;
	h->head = (h->head + 1) & (h->cap - 1);
	if (!--h->n)
		h->start = h->end = 0; /* empty: the text starts over */
}
