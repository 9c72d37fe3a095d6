/* msg.c - the decoded-message queue of proto.h: a FIFO per direction that
 * parse() fills (through the engine) and stitch() drains. Owns nothing but
 * the messages pushed into it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "proto.h"

/* Spares kept at most: a connection queues a few messages at a time, a
 * pipelining client a few dozen. */
#define ADI_MSG_SPARES 256

struct adi_msg *adi_msg_keep(struct adi_msg_pool *pool, const struct adi_msg *m)
{
	struct adi_msg *q;

	if (pool && pool->free) {
		q = pool->free;
		pool->free = q->next;
		pool->n--;
	} else if (!(q = malloc(sizeof(*q)))) {
		return NULL;
	}
	/* all but the writer's unused index slots (most of the struct: a
	 * message has a few members, the index room for ADI_JW_INDEX) */
	{
		size_t head = offsetof(struct adi_msg, f) + offsetof(struct adi_jw, mem);
		size_t tail = offsetof(struct adi_msg, f) + sizeof(m->f);
		uint32_t k = m->f.nmem < ADI_JW_INDEX ? m->f.nmem : ADI_JW_INDEX;

		memcpy(q, m, head);
		memcpy(q->f.mem, m->f.mem, k * sizeof(m->f.mem[0]));
		memcpy((char *)q + tail, (const char *)m + tail, sizeof(*q) - tail);
	}
	q->next = NULL;
	q->pool = pool;
	return q;
}

void adi_msg_free(struct adi_msg *m)
{
	if (!m)
		return;
	adi_jw_fini(&m->f);
	if (m->pool && m->pool->n < ADI_MSG_SPARES) {
		m->next = m->pool->free;
		m->pool->free = m;
		m->pool->n++;
		return;
	}
	free(m);
}

void adi_msg_pool_fini(struct adi_msg_pool *pool)
{
	struct adi_msg *m;

	while ((m = pool->free)) {
		pool->free = m->next;
		free(m);
	}
	pool->n = 0;
}

void adi_msgq_push(struct adi_msgq *q, struct adi_msg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->len++;
}

struct adi_msg *adi_msgq_pop(struct adi_msgq *q)
{
	struct adi_msg *m = q->head;

	if (!m)
		return NULL;
	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	m->next = NULL;
	return m;
}

void adi_msgq_unlink(struct adi_msgq *q, struct adi_msg *prev, struct adi_msg *m)
{
	if (prev)
		prev->next = m->next;
	else
		q->head = m->next;
	if (q->tail == m)
		q->tail = prev;
	q->len--;
	m->next = NULL;
}

void adi_msgq_clear(struct adi_msgq *q)
{
	struct adi_msg *m;

	while ((m = adi_msgq_pop(q)))
		adi_msg_free(m);
}
