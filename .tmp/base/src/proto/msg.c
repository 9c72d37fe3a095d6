/* msg.c - the decoded-message queue of proto.h: a FIFO per direction that
 * parse() fills (through the engine) and stitch() drains; and the emitter's
 * tree form (adi_emit_tree). Owns nothing but the messages pushed into it. */
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
	adi_j_free(m->fields);
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

void adi_msgq_clear(struct adi_msgq *q)
{
	struct adi_msg *m;

	while ((m = adi_msgq_pop(q)))
		adi_msg_free(m);
}

void adi_emit_tree(struct adi_emit *em, const char *kind, uint64_t ts_start,
		   int64_t ts_end, struct adi_jval *fields)
{
	struct adi_jw *w = adi_emit_begin(em);

	for (size_t i = 0; i < adi_j_len(fields) && adi_j_type(fields) == ADI_J_OBJ; i++) {
		const char *k = adi_j_key_at(fields, i);

		adi_jw_keyn(w, k, strlen(k));
		adi_jw_tree(w, adi_j_at(fields, i));
	}
	adi_j_free(fields);
	em->emit(em, kind, ts_start, ts_end);
}
