/* postgres.h - the PostgreSQL frontend/backend protocol 3.0 decoder
 * (https://www.postgresql.org/docs/current/protocol.html): startup and
 * authentication, simple and extended query, COPY; statements paired with
 * their results into `sql_query` events (docs/events.md, db "postgres"). Used
 * only through adi_proto_postgres (proto.h); the message kinds below are
 * what its messages carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_POSTGRES_H
#define ADI_PROTO_POSTGRES_H

#include "proto.h"

/* adi_msg.kind: the protocol's message type byte ('Q', 'P', 'T', 'Z'...),
 * or one of these for the untyped messages of the startup phase.
 * adi_msg.key: the message's sequence number in its direction, which
 * finds what it says in the decoder's state (the protocol pairs by
 * order); adi_msg.fields and adi_msg.f stay empty. */
enum pg_kind {
	PG_K_STARTUP = 1,  /* StartupMessage (user, database, application_name) */
	PG_K_CANCEL = 2,   /* CancelRequest (the backend's pid; never the key) */
};

extern const struct adi_proto adi_proto_postgres;

#endif
