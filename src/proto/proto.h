/* proto.h - the contract between the engine and protocol decoders.
 *
 * The engine owns connections, their two ordered byte streams (with TCP
 * positions, so gaps are known), timestamps and output. A decoder owns only
 * its per-connection state and sees contiguous bytes of one direction at a
 * time. One decoder = one file pair in src/proto/ and one line in
 * registry.c (the ONE list of protocols). Flow per connection:
 *
 *   first bytes -> sniff() of every decoder -> the best claims the conn
 *   bytes       -> parse() ... FRAME -> a message, queued per direction
 *   gap         -> gap()   (continue, or resync)
 *   BAD         -> resync() finds the next plausible message start
 *   after each FRAME -> stitch() pairs queued messages into events
 *   DONE        -> next() may name the protocol that follows (h2c)
 *   conn end    -> stitch(final = 1), then fini()
 */
#ifndef ADI_PROTO_H
#define ADI_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../lib/raw_event.h"
#include "../lib/json.h"
#include "../lib/jw.h"

/* What parse() did with the bytes it was given (b[0..n)). */
enum adi_parse {
	ADI_PARSE_FRAME, /* one message complete in *out; *used (> 0) bytes consumed */
	ADI_PARSE_AGAIN, /* no message yet; *used bytes (maybe 0) consumed and kept
			  * in the decoder's state; call again with more bytes.
			  * *used == 0 means "the bytes so far are not enough": the
			  * engine keeps them and appends (up to ADI_PROTO_LOOKAHEAD,
			  * beyond that it treats the stream as BAD) */
	ADI_PARSE_SKIP,  /* *used (> 0) bytes are valid but make no message */
	ADI_PARSE_BAD,   /* not decodable here: nothing consumed; the engine calls
			  * resync() and counts the bytes it skips */
	ADI_PARSE_DONE,  /* the protocol ends here (Upgrade, CONNECT tunnel, TLS):
			  * *used bytes consumed; the rest of this direction is
			  * counted, not parsed, unless next() names the
			  * protocol that follows */
};

/* Most bytes a decoder may ask the engine to hold before deciding (a
 * header block, one length-prefixed frame header...). */
#define ADI_PROTO_LOOKAHEAD (64 * 1024)

/* Settings every decoder reads; the engine's options. */
struct adi_proto_cfg {
	unsigned body_bytes;    /* bytes of each body / reply kept (--body-bytes) */
	unsigned rows_sample;   /* SQL rows kept (--rows-sample) */
	bool show_secrets;      /* do not redact credentials */
	bool member_index;      /* a sink reads events' member index: members
				 * an emitter copies as text are noted in it
				 * (adi_jw_note_member); else they need not be */
};

/* A decoded message. The decoder fills kind, key, f and flags in parse()
 * (f only on FRAME); the engine fills dir, the
 * timestamps and wire_bytes, and owns the message (and its fields) from
 * then on, until stitch() takes it. A decoder may instead keep what a
 * message says in its own state (typed), when that reads better. */
struct adi_msg {
	enum adi_dir dir;       /* direction, seen from the traced task */
	int kind;               /* decoder defined (request, response, push...) */
	uint64_t key;           /* pairing key (stream id, request id), 0 if by order */
	uint64_t ts_first;      /* time of the syscall holding the first byte */
	uint64_t ts_last;       /* ... and the last byte */
	uint64_t wire_bytes;    /* bytes of the stream the message spans (a
				 * datagram: its true size) */
	struct adi_endpoint peer; /* a datagram's peer (engine-filled; zero on
				 * streams, whose peer is the connection's) */
	struct adi_jw f;        /* decoded content written once (jw.h), as a
				 * member list: stitch() reads it back with
				 * adi_jw_get and copies members into the event
				 * with adi_jw_kraw (owned) */
	bool incomplete;        /* a gap fell inside it: bytes are missing (a
				 * datagram: set before parse() when the capture
				 * or the receiver's buffer cut it) */
	uint64_t aux[4];        /* numbers of the decoder's own that stitch()
				 * decides by and no event shows (0 unless
				 * parse() sets them): cheaper than members of
				 * f written as text and read back */
	struct adi_msg *next;   /* queue link, the engine's */
	struct adi_msg_pool *pool; /* where adi_msg_free puts it back (NULL:
				 * freed) */
};

/* Spare messages: a decoder's message is made and freed for every one it
 * reads (a dozen a PostgreSQL query), and an allocation and a free each
 * cost more than the rest of a small message. The engine keeps one. */
struct adi_msg_pool {
	struct adi_msg *free;   /* linked by next */
	uint32_t n;
};

/* An empty message, as parse() is given it (the writer's index is left
 * as it is: only its first nmem entries are ever read, and a message is
 * made per parse call). */
static inline void adi_msg_init(struct adi_msg *m)
{
	m->dir = ADI_DIR_NONE;
	m->kind = 0;
	m->key = 0;
	m->ts_first = m->ts_last = m->wire_bytes = 0;
	memset(&m->peer, 0, sizeof(m->peer));
	memset(m->aux, 0, sizeof(m->aux));
	adi_jw_init(&m->f);
	m->incomplete = false;
	m->next = NULL;
	m->pool = NULL;
}

/* A FIFO of messages of one direction, owned by the engine. */
struct adi_msgq {
	struct adi_msg *head, *tail;
	size_t len;
};

/* What stitch() uses to produce events: the engine's emitter. An event is
 * written in one pass: adi_emit_begin() gives the (empty) writer, the
 * decoder writes the kind's fields into it as a member list, in the order
 * of docs/events.md, then em->emit() turns them into the event. The event
 * gets the connection (conn field, after the decoder's), pid/tid/comm and
 * ts_start as its timestamp; its duration is ts_end - ts_start (ts_end -1:
 * none). Only one event is written at a time. */
struct adi_emit {
	struct adi_jw *w;       /* the fields of the event being written */
	void (*emit)(struct adi_emit *em, const char *kind, uint64_t ts_start,
		     int64_t ts_end);
	bool server_side;       /* the traced task accepted this connection */
	const struct adi_proto_cfg *cfg;
	/* Datagram sockets talk to many peers: stitch() points this at the
	 * peer of the exchange (a message's peer) before emit(), which writes
	 * it as conn.remote and clears it. NULL: the connection's remote. */
	const struct adi_endpoint *peer;
	/* Facts about the connection itself rather than one exchange (TLS:
	 * who it talks to, how): the member `key` with the JSON value
	 * json[0..n) is added to every later event of the connection and to
	 * its tcp_stream, after conn; a later call for the same key replaces
	 * it. Copied. NULL when the emitter has no connection to tell. */
	void (*annotate)(struct adi_emit *em, const char *key, const char *json, size_t n);
	/* where the engine takes the messages it queues from (NULL: none) */
	struct adi_msg_pool *pool;
};

/* The writer of the next event, emptied. */
static inline struct adi_jw *adi_emit_begin(struct adi_emit *em)
{
	adi_jw_reset(em->w);
	return em->w;
}


/* Sniffer context: what is known besides the bytes. */
struct adi_sniff_ctx {
	enum adi_dir dir;       /* direction of the bytes, from the traced task */
	int server_side;        /* the traced task accepted this connection */
	uint16_t local_port, remote_port; /* hints only, never decisive alone */
	bool datagram;          /* b is one whole datagram (UDP, unix datagram),
				 * not the start of a byte stream */
};

struct adi_proto {
	const char *name;       /* stable key used in output ("http", "postgres") */
	size_t state_size;      /* per-connection state, zeroed by the engine */

	/* Called once when the decoder takes a connection, after st is
	 * zeroed, with what is known besides the bytes (c->dir is the
	 * direction whose bytes were classified; server_side tells which
	 * direction is the client's when the bytes cannot). May be NULL. */
	void (*start)(void *st, const struct adi_sniff_ctx *c);

	/* Confidence 0..100 that b[0..n) starts this protocol in direction
	 * c->dir; -1 when n is too short to say. Must not read past n. */
	int (*sniff)(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);

	/* Decode from b[0..n) of direction dir (see enum adi_parse). On FRAME
	 * the decoder fills out->kind/key/f/incomplete. b is borrowed:
	 * whatever must outlive the call is copied into st.
	 * b == NULL, n == 0: the direction ended (EOF, close, end of trace): a
	 * message delimited by the end of the stream (an HTTP/1.0 body) is
	 * returned now as FRAME (with *used 0); otherwise AGAIN. */
	enum adi_parse (*parse)(void *st, const struct adi_proto_cfg *cfg,
				enum adi_dir dir, const uint8_t *b, size_t n,
				size_t *used, struct adi_msg *out);

	/* n bytes of direction dir were lost at the current position (a
	 * dropped record, a payload cut to the capture cap). Return true if
	 * the decoder accounts for them (e.g. inside a body of known length:
	 * the message is then marked incomplete), false to be resynced. */
	bool (*gap)(void *st, enum adi_dir dir, uint64_t n);

	/* The offset of the first plausible message start in b[0..n) after
	 * an error or an unrecovered gap, or n when there is none (those bytes
	 * are dropped and counted). Resets the direction's parse state. */
	size_t (*resync)(void *st, enum adi_dir dir, const uint8_t *b, size_t n);

	/* Pair queued messages into events through em. Take (dequeue and
	 * free with adi_msg_free) what was used; leave the rest. final: the
	 * connection ended, flush everything (an unanswered request becomes
	 * an event with no reply). */
	void (*stitch)(void *st, struct adi_msgq *out_q, struct adi_msgq *in_q,
		       struct adi_emit *em, bool final);

	/* Free what st owns (not st itself). May be NULL. */
	void (*fini)(void *st);

	/* Asked when parse() of direction dir returned DONE: the protocol
	 * that follows on this connection (an HTTP/1.1 Upgrade to h2c), or
	 * NULL (the rest is counted, not parsed). When it names one, the
	 * engine frees this decoder (fini) and starts the new one on a fresh
	 * zeroed state (start(), with the connection's context and dir);
	 * the rest of direction dir, from the end of what DONE consumed, and
	 * of the other direction, from where its parsing stands (what it
	 * holds unconsumed included), go to the new decoder. Messages still
	 * queued stay queued: the new decoder's stitch() receives them, so
	 * a decoder hands over only to one that knows its messages (HTTP/2
	 * takes the h2c upgrade request as its stream 1). May be NULL. */
	const struct adi_proto *(*next)(void *st, enum adi_dir dir);

	/* The start (ts_first) of the earliest message stitch() took from the
	 * queues but has not yet turned into an event (a request awaiting
	 * its reply in the decoder's own state), or 0 when there is none.
	 * The timeline holds later events back until it is written, so the
	 * output stays in start order. May be NULL: the decoder leaves what
	 * it waits on queued. */
	uint64_t (*pending)(void *st);

	/* Also decodes datagram sockets. Only such decoders are asked to
	 * sniff a datagram; on a datagram socket parse() gets one whole
	 * datagram per call (never a piece, never two) and must make its
	 * message of it, or BAD; gap() and resync() are never called. */
	bool datagrams;
};

/* Threshold a sniffer's score must reach to claim a connection. Below it the
 * stream stays generic: a wrong decoder would print wrong facts. */
#define ADI_SNIFF_CLAIM 60

/* The registry's answer for these first bytes: the best decoder at or above
 * ADI_SNIFF_CLAIM, or NULL (generic stream). *need_more is set when some
 * sniffer wants more bytes before deciding. */
const struct adi_proto *adi_proto_classify(const uint8_t *b, size_t n,
					   const struct adi_sniff_ctx *c,
					   int *need_more);
size_t adi_proto_count(void);
const struct adi_proto *adi_proto_at(size_t i);
const struct adi_proto *adi_proto_find(const char *name);

/* Message queue helpers (proto/msg.c). */
/* A queued copy of m, which parse() filled (its f's buffer moves with it),
 * taken from pool when it has a spare (pool may be NULL); NULL on ENOMEM. */
struct adi_msg *adi_msg_keep(struct adi_msg_pool *pool, const struct adi_msg *m);
/* Frees f, and m itself or back into the pool it came from. Accepts NULL. */
void adi_msg_free(struct adi_msg *m);
void adi_msg_pool_fini(struct adi_msg_pool *pool); /* frees the spares */
void adi_msgq_push(struct adi_msgq *q, struct adi_msg *m);
struct adi_msg *adi_msgq_pop(struct adi_msgq *q); /* NULL when empty */
/* Takes m out of q, prev being the message before it (NULL: m is the
 * head); the caller owns m after. For stitchers that pair a message with
 * one further down the other direction's queue. */
void adi_msgq_unlink(struct adi_msgq *q, struct adi_msg *prev, struct adi_msg *m);
void adi_msgq_clear(struct adi_msgq *q);

#endif
