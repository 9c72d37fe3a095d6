/* evtree.h - for the sink tests: an event whose fields are given as a
 * json.h tree (written through lib/jw.h as the engine writes them). */
#ifndef ADI_TEST_EVTREE_H
#define ADI_TEST_EVTREE_H

#include <stdlib.h>
#include <string.h>
#include "lib/event.h"

/* A new event with ev's common fields and the members of tree as its
 * fields; ev and tree are freed. NULL on ENOMEM or when tree is not an
 * object. */
static inline struct adi_event *ev_fields(struct adi_event *ev, struct adi_jval *tree)
{
	struct adi_event *n = NULL;
	struct adi_jw w;

	adi_jw_init(&w);
	if (ev && adi_j_type(tree) == ADI_J_OBJ) {
		for (size_t i = 0; i < adi_j_len(tree); i++) {
			const char *k = adi_j_key_at(tree, i);

			adi_jw_keyn(&w, k, strlen(k));
			adi_jw_tree(&w, adi_j_at(tree, i));
		}
		if (!w.err)
			n = adi_event_new(ev->kind, ev->ts_ns, w.buf, w.len);
	}
	if (n) {
		n->duration_ns = ev->duration_ns;
		n->pid = ev->pid;
		n->tid = ev->tid;
		memcpy(n->comm, ev->comm, sizeof(n->comm));
		n->cgroup_id = ev->cgroup_id;
		memcpy(n->container, ev->container, sizeof(n->container));
		n->seq = ev->seq;
	}
	adi_jw_fini(&w);
	adi_event_free(ev);
	adi_j_free(tree);
	return n;
}

#endif
