/* table.c - the one table of the PostgreSQL decoder (adi_proto_postgres,
 * ../postgres.h) and the life of its per-connection state: start() sets
 * which direction is the frontend's, fini() frees everything the state
 * holds (both parsers' kept bytes and message bodies, pending requests,
 * held events, the statement and portal tables, the login facts).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

/* fini(): see proto.h; st is left zeroed. */
static void pg_fini(void *vst)
{
	struct pg_state *st = vst;

	for (int d = 0; d < 2; d++)
		pg_side_fini(&st->side[d]);
	adi_jw_fini(&st->scratch);
	pg_body_clear(&st->none);
	while (st->op_len)
		pg_op_pop(st);
	pg_held_clear(st);
	pg_named_clear(st);
	pg_res_reset(&st->res);
	free(st->res.rows);
	free(st->user);
	free(st->database);
	memset(st, 0, sizeof(*st));
}

/* start(): the frontend is the peer that connected: OUT when the traced
 * task is the client, IN when it accepted the connection. */
static void pg_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct pg_state *st = vst;

	st->fe_in = c->server_side != 0;
	st->q_err = -1;
}

/* pending(): the oldest request awaiting its reply, or the oldest event
 * held for its ReadyForQuery (both kept in start order). */
static uint64_t pg_pending(void *vst)
{
	const struct pg_state *st = vst;
	uint64_t ts = st->nheld ? st->held[0].ts_start : 0;

	if (st->op_len) {
		uint64_t t = st->ops[st->op_head].ts;

		if (t && (!ts || t < ts))
			ts = t;
	}
	return ts;
}

const struct adi_proto adi_proto_postgres = {
	.name = "postgres",
	.state_size = sizeof(struct pg_state),
	.start = pg_start,
	.sniff = pg_sniff,
	.parse = pg_parse,
	.gap = pg_gap,
	.resync = pg_resync,
	.stitch = pg_stitch,
	.fini = pg_fini,
	.pending = pg_pending,
};
