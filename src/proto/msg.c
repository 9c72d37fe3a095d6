/* msg.c - the decoded-message queue of proto.h: a FIFO per direction that
 * parse() fills (through the engine) and stitch() drains. Owns nothing but
 * the messages pushed into it. */
#include <stdlib.h>
#include <string.h>
#include "proto.h"

struct adi_msg *adi_msg_new(void)
{
	return calloc(1, sizeof(struct adi_msg));
}

void adi_msg_free(struct adi_msg *m)
{
	if (!m)
		return;
	adi_jw_fini(&m->f);
	free(m);
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
