/* test_mysql.c - unit tests of the MySQL / MariaDB decoder (src/proto/
 * mysql/). Each fixture is built with a small packet builder (one
 * function per protocol packet, from the formats of the MySQL protocol
 * documentation, dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html,
 * and MariaDB's clientserver-protocol pages), cut into segments
 * (direction, timestamp), driven through the shared decoder driver and the
 * real engine (tests/support/pdrive.h: whole, in 1-byte pieces, split at
 * every offset), and the events compared with hand-written expectations
 * derived from that documentation and docs/events.md. The fixtures are a
 * table (name, the function that builds its bytes, settings, expected
 * events) run by one test function. The >16 MiB fixture gets a lighter
 * check (whole and a few random cuttings). Sniffer tests check other
 * protocols' first bytes score below the claim.
 * With ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_mysql.c ("mysql-<test name>").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/mysql.h"
#include "proto/proto.h"

/* ---- the packet builder ---- */

struct mb {
	uint8_t *b;
	size_t n, cap;
};

static void mb_put(struct mb *m, const void *p, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2 + 64;
		m->b = realloc(m->b, m->cap);
		assert_non_null(m->b);
	}
	if (n)
		memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void mb_int(struct mb *m, uint64_t v, int k)
{
	for (int i = 0; i < k; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));

		mb_put(m, &c, 1);
	}
}

static void mb_u8(struct mb *m, unsigned v)
{
	mb_int(m, v, 1);
}

/* n bytes of c (a >16 MiB payload is written 1000 bytes at a time). */
static void mb_fill(struct mb *m, char c, size_t n)
{
	char blk[1000];

	memset(blk, c, sizeof(blk));
	for (size_t i = 0; i < n; i += sizeof(blk))
		mb_put(m, blk, n - i < sizeof(blk) ? n - i : sizeof(blk));
}

/* int<lenenc> */
static void mb_lenenc(struct mb *m, uint64_t v)
{
	if (v < 251) {
		mb_int(m, v, 1);
	} else if (v < 1u << 16) {
		mb_u8(m, 0xfc);
		mb_int(m, v, 2);
	} else if (v < 1u << 24) {
		mb_u8(m, 0xfd);
		mb_int(m, v, 3);
	} else {
		mb_u8(m, 0xfe);
		mb_int(m, v, 8);
	}
}

/* string<lenenc>; NULL is the text protocol's NULL (0xfb) */
static void mb_lstr(struct mb *m, const char *s)
{
	if (!s) {
		mb_u8(m, 0xfb);
		return;
	}
	mb_lenenc(m, strlen(s));
	mb_put(m, s, strlen(s));
}

/* string<NUL> */
static void mb_zstr(struct mb *m, const char *s)
{
	mb_put(m, s, strlen(s) + 1);
}

/* The payload pl as packets of sequence seq, seq + 1... (a payload of
 * 0xffffff bytes or more is split, ending with a shorter packet). Returns
 * the next sequence id. */
static uint8_t mb_pkt(struct mb *out, uint8_t seq, const struct mb *pl)
{
	size_t off = 0;

	for (;;) {
		size_t k = pl->n - off > 0xffffff ? 0xffffff : pl->n - off;

		mb_int(out, k, 3);
		mb_u8(out, seq++);
		if (k)
			mb_put(out, pl->b + off, k); /* an empty payload has no buffer */
		off += k;
		if (k < 0xffffff)
			return seq;
	}
}

static void mb_free(struct mb *m)
{
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* Payload builders append to a scratch payload then wrap it. */
#define PL(out, seq, body) do { \
	struct mb pl_ = { 0 }; \
	struct mb *p = &pl_; \
	body; \
	mb_pkt((out), (seq), p); \
	mb_free(&pl_); \
} while (0)

/* ---- protocol packets ---- */

#define CLIENT_CONNECT_WITH_DB (1u << 3)
#define CLIENT_PROTOCOL_41 (1u << 9)
#define CLIENT_SSL (1u << 11)
#define CLIENT_TRANSACTIONS (1u << 13)
#define CLIENT_SECURE_CONNECTION (1u << 15)
#define CLIENT_MULTI_STATEMENTS (1u << 16)
#define CLIENT_MULTI_RESULTS (1u << 17)
#define CLIENT_PLUGIN_AUTH (1u << 19)
#define CLIENT_CONNECT_ATTRS (1u << 20)
#define CLIENT_DEPRECATE_EOF (1u << 24)
#define CLIENT_QUERY_ATTRIBUTES (1u << 27)
#define CLIENT_LONG_PASSWORD 1u

/* What the fixtures negotiate: MySQL-style (CLIENT_LONG_PASSWORD set, so
 * no MariaDB extended capabilities) with or without DEPRECATE_EOF. */
#define CAPS_BASE (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | \
		   CLIENT_SECURE_CONNECTION | CLIENT_MULTI_STATEMENTS | \
		   CLIENT_MULTI_RESULTS | CLIENT_PLUGIN_AUTH)
#define CAPS_DEP (CAPS_BASE | CLIENT_DEPRECATE_EOF)

#define COM_QUIT 0x01
#define COM_INIT_DB 0x02
#define COM_QUERY 0x03
#define COM_FIELD_LIST 0x04
#define COM_STATISTICS 0x09
#define COM_PING 0x0e
#define COM_CHANGE_USER 0x11
#define COM_STMT_PREPARE 0x16
#define COM_STMT_EXECUTE 0x17
#define COM_STMT_SEND_LONG_DATA 0x18
#define COM_STMT_CLOSE 0x19
#define COM_STMT_RESET 0x1a
#define COM_SET_OPTION 0x1b
#define COM_RESET_CONNECTION 0x1f

enum { T_DECIMAL = 0, T_TINY = 1, T_SHORT = 2, T_LONG = 3, T_FLOAT = 4,
       T_DOUBLE = 5, T_NULL = 6, T_TIMESTAMP = 7, T_LONGLONG = 8, T_INT24 = 9,
       T_DATE = 10, T_TIME = 11, T_DATETIME = 12, T_YEAR = 13, T_VARCHAR = 15,
       T_BIT = 16, T_JSON = 245, T_NEWDECIMAL = 246, T_ENUM = 247, T_SET = 248,
       T_BLOB = 252, T_LONG_BLOB_ = 251, T_VAR_STRING = 253, T_STRING = 254, T_GEOMETRY = 255 };

/* The auth response every client sends: 20 bytes that must never show. */
#define AUTH_RESPONSE "SeCrEtAuThReSpOnSe!!"

/* Handshake v10, sequence id 0. */
static void greeting(struct mb *out, const char *ver, uint32_t id, uint32_t caps,
		     const char *plugin)
{
	PL(out, 0, {
		mb_u8(p, 10);
		mb_zstr(p, ver);
		mb_int(p, id, 4);
		mb_put(p, "sCrAmBl1", 8);
		mb_u8(p, 0);
		mb_int(p, caps & 0xffff, 2);
		mb_u8(p, 0x21);            /* utf8_general_ci */
		mb_int(p, 0x0002, 2);      /* SERVER_STATUS_AUTOCOMMIT */
		mb_int(p, caps >> 16, 2);
		mb_u8(p, 21);
		mb_put(p, "\0\0\0\0\0\0\0\0\0\0", 10);
		mb_put(p, "sCrAmBl2abcd", 13); /* 12 + NUL */
		mb_zstr(p, plugin);
	});
}

/* The head of HandshakeResponse41, which is the whole SSLRequest:
 * capabilities, max packet, charset, 23 filler bytes. */
static void login_head(struct mb *p, uint32_t caps)
{
	mb_int(p, caps, 4);
	mb_int(p, 16777216, 4);
	mb_u8(p, 0x21);
	for (int i = 0; i < 23; i++)
		mb_u8(p, 0);
}

/* HandshakeResponse41 with a 20-byte auth response that must never show. */
static void login(struct mb *out, uint8_t seq, uint32_t caps, const char *user,
		  const char *db, const char *plugin, const char *const *attrs)
{
	PL(out, seq, {
		login_head(p, caps);
		mb_zstr(p, user);
		mb_u8(p, 20);
		mb_put(p, AUTH_RESPONSE, 20);
		if (caps & CLIENT_CONNECT_WITH_DB)
			mb_zstr(p, db);
		if (caps & CLIENT_PLUGIN_AUTH)
			mb_zstr(p, plugin);
		if (caps & CLIENT_CONNECT_ATTRS) {
			struct mb a = { 0 };

			for (int i = 0; attrs && attrs[i]; i++)
				mb_lstr(&a, attrs[i]);
			mb_lenenc(p, a.n);
			mb_put(p, a.b, a.n);
			mb_free(&a);
		}
	});
}

/* AuthSwitchRequest to mysql_native_password, with its 20-byte scramble. */
static void auth_switch(struct mb *out, uint8_t seq)
{
	PL(out, seq, {
		mb_u8(p, 0xfe);
		mb_zstr(p, "mysql_native_password");
		mb_put(p, "0123456789abcdefghij", 20);
		mb_u8(p, 0);
	});
}

/* The client's answer to an auth switch. */
static void auth_data(struct mb *out, uint8_t seq)
{
	PL(out, seq, mb_put(p, AUTH_RESPONSE, 20));
}

/* OK_Packet (no CLIENT_SESSION_TRACK: info is string<EOF>); hdr 0x00, or
 * 0xfe when it ends a result set under CLIENT_DEPRECATE_EOF. */
static void ok_pkt(struct mb *out, uint8_t seq, unsigned hdr, uint64_t affected,
		   uint64_t insert_id, unsigned status, unsigned warnings,
		   const char *info)
{
	PL(out, seq, {
		mb_u8(p, hdr);
		mb_lenenc(p, affected);
		mb_lenenc(p, insert_id);
		mb_int(p, status, 2);
		mb_int(p, warnings, 2);
		if (info)
			mb_put(p, info, strlen(info));
	});
}

/* The plain OK: nothing affected, SERVER_STATUS_AUTOCOMMIT. */
static void ok0(struct mb *out, uint8_t seq)
{
	ok_pkt(out, seq, 0x00, 0, 0, 0x0002, 0, NULL);
}

/* The OK (header 0xfe) ending a result set under CLIENT_DEPRECATE_EOF. */
static void ok_end(struct mb *out, uint8_t seq)
{
	ok_pkt(out, seq, 0xfe, 0, 0, 0x0002, 0, NULL);
}

static void err_pkt(struct mb *out, uint8_t seq, unsigned code, const char *state,
		    const char *msg)
{
	PL(out, seq, {
		mb_u8(p, 0xff);
		mb_int(p, code, 2);
		mb_u8(p, '#');
		mb_put(p, state, 5);
		mb_put(p, msg, strlen(msg));
	});
}

static void eof_pkt(struct mb *out, uint8_t seq, unsigned warnings, unsigned status)
{
	PL(out, seq, {
		mb_u8(p, 0xfe);
		mb_int(p, warnings, 2);
		mb_int(p, status, 2);
	});
}

/* A column of a result set (or a parameter: "?"). */
struct col {
	const char *name;
	unsigned type, flags;
};

/* Column Definition 41. */
static void coldef(struct mb *out, uint8_t seq, const struct col *c)
{
	PL(out, seq, {
		mb_lstr(p, "def");
		mb_lstr(p, "shop");
		mb_lstr(p, "t");
		mb_lstr(p, "t");
		mb_lstr(p, c->name);
		mb_lstr(p, c->name);
		mb_lenenc(p, 0x0c);
		mb_int(p, 0x21, 2);
		mb_int(p, 255, 4);
		mb_u8(p, c->type);
		mb_int(p, c->flags, 2);
		mb_u8(p, 0);
		mb_int(p, 0, 2);
	});
}

/* n column definitions from sequence seq; returns the next one. */
static uint8_t coldefs(struct mb *out, uint8_t seq, int n, const struct col *c)
{
	for (int i = 0; i < n; i++)
		coldef(out, seq++, &c[i]);
	return seq;
}

static void colcount(struct mb *out, uint8_t seq, unsigned n)
{
	PL(out, seq, mb_lenenc(p, n));
}

/* A text row: n values, NULL for NULL. */
static void textrow(struct mb *out, uint8_t seq, int n, const char *const *v)
{
	PL(out, seq, {
		for (int i = 0; i < n; i++)
			mb_lstr(p, v[i]);
	});
}

/* A text result set: column count, definitions, an EOF unless
 * CLIENT_DEPRECATE_EOF (eof < 0), the rows (nrows * ncols values, NULL for
 * NULL), then an EOF of status eof, or the OK that ends it under
 * DEPRECATE_EOF. */
struct rs {
	int ncols;
	const struct col *cols;
	int nrows;
	const char *const *v;
	int eof;                 /* EOF status, or -1: CLIENT_DEPRECATE_EOF */
};

/* The result set r from sequence id seq; returns the next one (where a
 * further result of a multi-result goes on). */
static uint8_t text_rs(struct mb *out, uint8_t seq, const struct rs *r)
{
	colcount(out, seq++, (unsigned)r->ncols);
	seq = coldefs(out, seq, r->ncols, r->cols);
	if (r->eof >= 0)
		eof_pkt(out, seq++, 0, (unsigned)r->eof);
	for (int i = 0; i < r->nrows; i++)
		textrow(out, seq++, r->ncols, r->v + i * r->ncols);
	if (r->eof >= 0)
		eof_pkt(out, seq++, 0, (unsigned)r->eof);
	else
		ok_end(out, seq++);
	return seq;
}

/* A command with a text argument (COM_QUERY, COM_INIT_DB, PREPARE...). */
static void cmd_text(struct mb *out, unsigned cmd, const char *text)
{
	PL(out, 0, {
		mb_u8(p, cmd);
		mb_put(p, text, strlen(text));
	});
}

static void cmd_only(struct mb *out, unsigned cmd)
{
	PL(out, 0, mb_u8(p, cmd));
}

static void cmd_stmt(struct mb *out, unsigned cmd, uint32_t id)
{
	PL(out, 0, {
		mb_u8(p, cmd);
		mb_int(p, id, 4);
	});
}

/* COM_STMT_SEND_LONG_DATA of parameter param: the bytes of s. */
static void long_data(struct mb *out, uint32_t id, unsigned param, const char *s)
{
	PL(out, 0, {
		mb_u8(p, COM_STMT_SEND_LONG_DATA);
		mb_int(p, id, 4);
		mb_int(p, param, 2);
		mb_put(p, s, strlen(s));
	});
}

/* COM_STMT_PREPARE_OK, sequence id 1. */
static void prep_ok(struct mb *out, uint32_t id, unsigned ncols, unsigned nparams)
{
	PL(out, 1, {
		mb_u8(p, 0);
		mb_int(p, id, 4);
		mb_int(p, ncols, 2);
		mb_int(p, nparams, 2);
		mb_u8(p, 0);
		mb_int(p, 0, 2);
	});
}

/* The head of COM_STMT_EXECUTE: statement id, no cursor, iteration 1. */
static void exec_head(struct mb *p, uint32_t id)
{
	mb_u8(p, COM_STMT_EXECUTE);
	mb_int(p, id, 4);
	mb_u8(p, 0);
	mb_int(p, 1, 4);
}

/* One binary value of each kind, for COM_STMT_EXECUTE. */
struct pv {
	unsigned type;   /* with 0x8000: unsigned */
	const void *b;   /* the value as sent (NULL: a NULL parameter) */
	size_t n;
};

static void exec_pkt(struct mb *out, uint32_t id, const struct pv *v, int n, bool bound)
{
	PL(out, 0, {
		uint8_t bm[8] = { 0 };

		exec_head(p, id);
		for (int i = 0; i < n; i++)
			if (!v[i].b)
				bm[i / 8] |= (uint8_t)(1u << (i % 8));
		mb_put(p, bm, (size_t)(n + 7) / 8);
		mb_u8(p, bound);
		for (int i = 0; bound && i < n; i++) {
			mb_u8(p, v[i].type & 0xff);
			mb_u8(p, v[i].type & 0x8000 ? 0x80 : 0);
		}
		for (int i = 0; i < n; i++)
			if (v[i].b)
				mb_put(p, v[i].b, v[i].n);
	});
}

#define V(t, s) { (t), (s), sizeof(s) - 1 }

/* ---- fixtures: bytes cut into segments ---- */

/* Segments are cut from one buffer per direction at marks. The builders
 * write the client's bytes to c and the server's to s: the same fixture
 * serves with the traced task on either side. */
struct fx {
	struct pd_seg seg[64];
	size_t nseg;
	struct mb out, in;       /* all bytes of each direction */
	size_t mark_out, mark_in;
	bool server;             /* the traced task is the server */
	struct mb *c, *s;        /* the client's bytes, the server's */
};

static void fx_init(struct fx *f, bool server)
{
	memset(f, 0, sizeof(*f));
	f->server = server;
	f->c = server ? &f->in : &f->out;
	f->s = server ? &f->out : &f->in;
}

/* The bytes of dir written since the last cut become one segment. */
static void cut_seg(struct fx *f, enum adi_dir dir, uint64_t ts)
{
	struct mb *m = dir == ADI_DIR_OUT ? &f->out : &f->in;
	size_t *mark = dir == ADI_DIR_OUT ? &f->mark_out : &f->mark_in;
	struct pd_seg g = { PD_DATA, dir, NULL, m->n - *mark, ts };

	assert_true(f->nseg < 64);
	g.b = (const uint8_t *)(uintptr_t)*mark; /* an offset until fx_case */
	f->seg[f->nseg++] = g;
	*mark = m->n;
}

/* Cut the client's bytes, the server's. */
static void cut_c(struct fx *f, uint64_t ts)
{
	cut_seg(f, f->server ? ADI_DIR_IN : ADI_DIR_OUT, ts);
}

static void cut_s(struct fx *f, uint64_t ts)
{
	cut_seg(f, f->server ? ADI_DIR_OUT : ADI_DIR_IN, ts);
}

static void gap_seg(struct fx *f, enum adi_dir dir, size_t n)
{
	struct pd_seg g = PD_GAP_(dir, n);

	f->seg[f->nseg++] = g;
}

/* The case: offsets become pointers (the buffers no longer move). */
static struct pd_case fx_case(struct fx *f, const char *name, unsigned body,
			      unsigned rows)
{
	struct pd_case c = {
		.name = name, .proto = &adi_proto_mysql, .segs = f->seg,
		.nsegs = f->nseg,
		.cfg = { .body_bytes = body, .rows_sample = rows },
		.server = f->server,
	};

	for (size_t i = 0; i < f->nseg; i++)
		if (f->seg[i].op == PD_DATA)
			f->seg[i].b = (f->seg[i].dir == ADI_DIR_OUT ? f->out.b : f->in.b) +
				      (size_t)(uintptr_t)f->seg[i].b;
	return c;
}

static void fx_free(struct fx *f)
{
	mb_free(&f->out);
	mb_free(&f->in);
}

/* Print what came out (MY_PRINT=1), to compare by eye while writing the
 * hand-made expectation. */
static void show(const struct pd_case *c)
{
	if (getenv("MY_PRINT")) {
		char *t = pd_run(c, PD_WHOLE, 0);

		fprintf(stderr, "---- %s\n%s", c->name, t);
		free(t);
	}
}

/* A session's connection phase: the greeting (server, 1000), the login
 * (client, sequence 1, at t_login). */
struct conn {
	const char *version;
	uint32_t id, caps;       /* the server's */
	uint32_t login_caps;     /* the client's */
	const char *plugin, *user, *db;
	const char *const *attrs;
};

static void hello(struct fx *f, const struct conn *k, uint64_t t_login)
{
	greeting(f->s, k->version, k->id, k->caps, k->plugin);
	cut_s(f, 1000);
	login(f->c, 1, k->login_caps, k->user, k->db, k->plugin, k->attrs);
	cut_c(f, t_login);
}

/* One exchange: a command's bytes are cut at t, the reply's at t + 1000. */
static void exch(struct fx *f, uint64_t t)
{
	cut_c(f, t);
	cut_s(f, t + 1000);
}

/* ---- expected events ---- */

#define EXPECT_MID_SESSION \
	"1000 2000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT a FROM t\",\"params\":[]," \
	"\"statement\":null,\"columns\":[\"a\"],\"rows\":1,\"rows_sample\":[[\"7\"]],\"co" \
	"mmand_tag\":\"SELECT 1 row\",\"error\":null,\"tx\":\"in_tx\",\"database\":null," \
	"\"user\":null,\"command\":\"COM_QUERY\",\"truncated\":false}\n" \
	"3000 4000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":null,\"statement\"" \
	":\"9\",\"columns\":null,\"rows\":1,\"rows_sample\":[],\"command_tag\":\"OK, 1 ro" \
	"w affected\",\"error\":null,\"tx\":\"in_tx\",\"database\":null,\"user\":null,\"c" \
	"ommand\":\"COM_STMT_EXECUTE\",\"truncated\":false,\"params_raw\":\"base64:AAEDAA" \
	"UAAAA=\"}\n"
#define EXPECT_MID_DEPRECATE \
	"1000 2000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT b, c FROM t\",\"params\":" \
	"[],\"statement\":null,\"columns\":[\"b\",\"c\"],\"rows\":1,\"rows_sample\":[[\"x" \
	"\",\"\"]],\"command_tag\":\"SELECT 1 row\",\"error\":null,\"tx\":\"idle\",\"data" \
	"base\":null,\"user\":null,\"command\":\"COM_QUERY\",\"truncated\":false}\n" \
	"3000 4000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT b FROM t WHERE 0\",\"para" \
	"ms\":[],\"statement\":null,\"columns\":[\"b\"],\"rows\":0,\"rows_sample\":[],\"c" \
	"ommand_tag\":\"SELECT 0 rows\",\"error\":null,\"tx\":\"idle\",\"database\":null," \
	"\"user\":null,\"command\":\"COM_QUERY\",\"truncated\":false}\n"
#define EXPECT_SERVER_SIDE EXPECT_DEPRECATE
#define EXPECT_GAPS \
	"1000 3000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT id, body FROM t\",\"param" \
	"s\":[],\"statement\":null,\"columns\":[\"id\",\"body\"],\"rows\":2,\"rows_sample" \
	"\":[[\"1\"],[\"2\",\"b\"]],\"command_tag\":\"SELECT 2 rows\",\"error\":null,\"tx" \
	"\":\"idle\",\"database\":null,\"user\":null,\"command\":\"COM_QUERY\",\"truncate" \
	"d\":false,\"incomplete\":true}\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT \",\"params\":[],\"statem" \
	"ent\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK, " \
	"0 rows affected\",\"error\":null,\"tx\":\"idle\",\"database\":null,\"user\":null" \
	",\"command\":\"COM_QUERY\",\"truncated\":true,\"incomplete\":true}\n" \
	"6000 -1 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT 3\",\"params\":[],\"stateme" \
	"nt\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"" \
	"error\":null,\"tx\":\"idle\",\"database\":null,\"user\":null,\"command\":\"COM_Q" \
	"UERY\",\"truncated\":false,\"incomplete\":true}\n" \
	"8000 9000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":null,\"user\":null,\"command\":\"COM_PING" \
	"\",\"truncated\":false}\n" \
	"# skipped out=0 in=6 done out=0 in=0\n"
#define EXPECT_GARBAGE \
	"1000 2000 sql_query {\"db\":\"mysql\",\"sql\":\"DELETE FROM t\",\"params\":[],\"" \
	"statement\":null,\"columns\":null,\"rows\":3,\"rows_sample\":[],\"command_tag\":" \
	"\"OK, 3 rows affected\",\"error\":null,\"tx\":\"idle\",\"database\":null,\"user" \
	"\":null,\"command\":\"COM_QUERY\",\"truncated\":false}\n" \
	"# skipped out=15 in=11 done out=0 in=0\n"
#define EXPECT_TLS \
	"1000 -1 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":nul" \
	"l,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"error\":" \
	"null,\"tx\":null,\"database\":null,\"user\":null,\"command\":\"CONNECT\",\"trunc" \
	"ated\":false,\"server_version\":\"8.0.36\",\"connection_id\":5,\"capabilities\":" \
	"[\"CLIENT_LONG_PASSWORD\",\"CLIENT_PROTOCOL_41\",\"CLIENT_SSL\",\"CLIENT_TRANSAC" \
	"TIONS\",\"CLIENT_SECURE_CONNECTION\",\"CLIENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_" \
	"RESULTS\",\"CLIENT_PLUGIN_AUTH\"],\"tls\":true}\n" \
	"# skipped out=0 in=0 done out=1 in=1\n"
#define EXPECT_INFILE \
	"1000 4000 sql_query {\"db\":\"mysql\",\"sql\":\"LOAD DATA LOCAL INFILE '/tmp/x.c" \
	"sv' INTO TABLE t\",\"params\":[],\"statement\":null,\"columns\":null,\"rows\":2," \
	"\"rows_sample\":[],\"command_tag\":\"OK, 2 rows affected\",\"error\":null,\"tx\"" \
	":\"idle\",\"database\":null,\"user\":null,\"command\":\"COM_QUERY\",\"truncated" \
	"\":false,\"infile\":\"/tmp/x.csv\",\"info\":\"Records: 2  Deleted: 0  Skipped: 0" \
	"  Warnings: 0\"}\n" \
	"5000 8000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":\"other\",\"user\":\"bob\",\"command\":\"C" \
	"OM_CHANGE_USER\",\"truncated\":false,\"auth_plugin\":\"mysql_native_password\"}\n" \
	"9000 10000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":" \
	"null,\"columns\":[\"id\",\"name\"],\"rows\":0,\"rows_sample\":[],\"command_tag\"" \
	":null,\"error\":null,\"tx\":\"idle\",\"database\":\"other\",\"user\":\"bob\",\"c" \
	"ommand\":\"COM_FIELD_LIST\",\"truncated\":false,\"table\":\"t\"}\n"
#define EXPECT_QATTR \
	"1000 3000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":null,\"user\":\"app\",\"command\":\"CONNEC" \
	"T\",\"truncated\":false,\"server_version\":\"8.0.36\",\"connection_id\":13,\"aut" \
	"h_plugin\":\"caching_sha2_password\",\"capabilities\":[\"CLIENT_LONG_PASSWORD\"," \
	"\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\",\"CLIENT_SECURE_CONNECTION\",\"CL" \
	"IENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\",\"CLIENT_PLUGIN_AUTH\",\"CLIENT" \
	"_DEPRECATE_EOF\",\"CLIENT_QUERY_ATTRIBUTES\"]}\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"DELETE FROM t WHERE id = 1\",\"p" \
	"arams\":[],\"statement\":null,\"columns\":null,\"rows\":1,\"rows_sample\":[],\"c" \
	"ommand_tag\":\"OK, 1 row affected\",\"error\":null,\"tx\":\"idle\",\"database\":" \
	"null,\"user\":\"app\",\"command\":\"COM_QUERY\",\"truncated\":false,\"query_attr" \
	"ibutes\":{\"trace_id\":\"abc123\",\"n\":null}}\n"
#define EXPECT_CLASSIC \
	"1000 3000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":null,\"user\":\"root\",\"command\":\"CONNE" \
	"CT\",\"truncated\":false,\"server_version\":\"8.0.36\",\"connection_id\":7,\"aut" \
	"h_plugin\":\"caching_sha2_password\",\"capabilities\":[\"CLIENT_LONG_PASSWORD\"," \
	"\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\",\"CLIENT_SECURE_CONNECTION\",\"CL" \
	"IENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\",\"CLIENT_PLUGIN_AUTH\"]}\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT 1; SELECT 'x'\",\"params" \
	"\":[],\"statement\":null,\"columns\":[\"1\"],\"rows\":1,\"rows_sample\":[[\"1\"]" \
	"],\"command_tag\":\"SELECT 1 row\",\"error\":null,\"tx\":\"idle\",\"database\":n" \
	"ull,\"user\":\"root\",\"command\":\"COM_QUERY\",\"truncated\":false,\"result\":1" \
	"}\n" \
	"6000 6000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT 1; SELECT 'x'\",\"params" \
	"\":[],\"statement\":null,\"columns\":[\"x\"],\"rows\":1,\"rows_sample\":[[\"x\"]" \
	"],\"command_tag\":\"SELECT 1 row\",\"error\":null,\"tx\":\"idle\",\"database\":n" \
	"ull,\"user\":\"root\",\"command\":\"COM_QUERY\",\"truncated\":false,\"result\":2" \
	"}\n" \
	"7000 8000 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (5)\",\"par" \
	"ams\":[],\"statement\":null,\"columns\":null,\"rows\":1,\"rows_sample\":[],\"com" \
	"mand_tag\":\"OK, 1 row affected, last insert id 5, 1 warning\",\"error\":null,\"" \
	"tx\":\"in_tx\",\"database\":null,\"user\":\"root\",\"command\":\"COM_QUERY\",\"t" \
	"runcated\":false,\"last_insert_id\":5,\"warnings\":1}\n" \
	"9000 10000 sql_query {\"db\":\"mysql\",\"sql\":\"SELEC 1\",\"params\":[],\"state" \
	"ment\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null," \
	"\"error\":{\"code\":\"1064\",\"message\":\"You have an error in your SQL syntax" \
	"\",\"sqlstate\":\"42000\"},\"tx\":\"in_tx\",\"database\":null,\"user\":\"root\"," \
	"\"command\":\"COM_QUERY\",\"truncated\":false}\n" \
	"11000 12000 sql_query {\"db\":\"mysql\",\"sql\":\"USE `sh``op`\",\"params\":[]," \
	"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag" \
	"\":\"OK\",\"error\":null,\"tx\":\"idle\",\"database\":\"sh`op\",\"user\":\"root" \
	"\",\"command\":\"COM_INIT_DB\",\"truncated\":false}\n" \
	"13000 14000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\"" \
	":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"er" \
	"ror\":null,\"tx\":\"idle\",\"database\":\"sh`op\",\"user\":\"root\",\"command\":" \
	"\"COM_PING\",\"truncated\":false}\n" \
	"15000 16000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\"" \
	":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":\"sh`op\",\"user\":\"root\",\"command\":\"" \
	"COM_STATISTICS\",\"truncated\":false,\"info\":\"Uptime: 5  Threads: 1\"}\n" \
	"17000 18000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\"" \
	":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"er" \
	"ror\":null,\"tx\":\"idle\",\"database\":\"sh`op\",\"user\":\"root\",\"command\":" \
	"\"COM_SET_OPTION\",\"truncated\":false,\"option\":\"MYSQL_OPTION_MULTI_STATEMENT" \
	"S_ON\"}\n" \
	"19000 20000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\"" \
	":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"er" \
	"ror\":null,\"tx\":\"idle\",\"database\":\"sh`op\",\"user\":\"root\",\"command\":" \
	"\"COM_RESET_CONNECTION\",\"truncated\":false}\n"
#define EXPECT_AUTH_SWITCH \
	"1000 5000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":null,\"user\":\"app\",\"command\":\"CONNEC" \
	"T\",\"truncated\":false,\"server_version\":\"8.0.36\",\"connection_id\":9,\"auth" \
	"_plugin\":\"mysql_native_password\",\"capabilities\":[\"CLIENT_LONG_PASSWORD\"," \
	"\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\",\"CLIENT_SECURE_CONNECTION\",\"CL" \
	"IENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\",\"CLIENT_PLUGIN_AUTH\",\"CLIENT" \
	"_DEPRECATE_EOF\"]}\n"
#define EXPECT_AUTH_FAILURE \
	"1000 3000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"error" \
	"\":{\"code\":\"1045\",\"message\":\"Access denied for user 'bob'@'localhost' (us" \
	"ing password: YES)\",\"sqlstate\":\"28000\"},\"tx\":null,\"database\":null,\"use" \
	"r\":\"bob\",\"command\":\"CONNECT\",\"truncated\":false,\"server_version\":\"8.0" \
	".36\",\"connection_id\":10,\"auth_plugin\":\"mysql_native_password\",\"capabilit" \
	"ies\":[\"CLIENT_LONG_PASSWORD\",\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\"," \
	"\"CLIENT_SECURE_CONNECTION\",\"CLIENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS" \
	"\",\"CLIENT_PLUGIN_AUTH\"]}\n"
#define EXPECT_PREPARE_EXECUTE \
	"1000 1000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":\"shop\",\"user\":\"app\",\"command\":\"CO" \
	"NNECT\",\"truncated\":false,\"server_version\":\"8.0.36\",\"connection_id\":11," \
	"\"auth_plugin\":\"mysql_native_password\",\"capabilities\":[\"CLIENT_LONG_PASSWO" \
	"RD\",\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\",\"CLIENT_SECURE_CONNECTION\"" \
	",\"CLIENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\",\"CLIENT_PLUGIN_AUTH\"]}\n" \
	"2000 3000 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)\",\"params\":[],\"statement\":\"1\",\"columns\":[" \
	"],\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK, 20 params, 0 columns\",\"e" \
	"rror\":null,\"tx\":\"idle\",\"database\":\"shop\",\"user\":\"app\",\"command\":" \
	"\"COM_STMT_PREPARE\",\"truncated\":false,\"num_params\":20}\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)\",\"params\":[\"-5\",\"250\",\"-300\",\"70000\"," \
	"\"18446744073709551615\",\"-9000000000\",\"1.5\",\"0.1\",\"12.34\",\"héllo\",\"b" \
	"ase64:AAH/\",\"{\\\"a\\\":1}\",\"2024-02-29\",\"2024-02-29 13:14:15\",\"2024-02-" \
	"29 13:14:15.123456\",\"0000-00-00 00:00:00\",\"-26:03:04\",\"10:00:00.500000\",n" \
	"ull,\"2024\"],\"statement\":\"1\",\"columns\":null,\"rows\":1,\"rows_sample\":[]" \
	",\"command_tag\":\"OK, 1 row affected\",\"error\":null,\"tx\":\"idle\",\"databas" \
	"e\":\"shop\",\"user\":\"app\",\"command\":\"COM_STMT_EXECUTE\",\"truncated\":fal" \
	"se}\n" \
	"6000 7000 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)\",\"params\":[\"1\",\"2\",null,\"-1\",\"0\",null," \
	"\"-1\",\"inf\",\"0\",\"\",null,\"[]\",\"0000-00-00\",\"2000-01-01 00:00:00\",nul" \
	"l,\"2024-12-31 23:59:59\",\"00:00:00\",null,\"z\",null],\"statement\":\"1\",\"co" \
	"lumns\":null,\"rows\":1,\"rows_sample\":[],\"command_tag\":\"OK, 1 row affected" \
	"\",\"error\":null,\"tx\":\"idle\",\"database\":\"shop\",\"user\":\"app\",\"comma" \
	"nd\":\"COM_STMT_EXECUTE\",\"truncated\":false}\n" \
	"8000 9000 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (?,?,?,?,?," \
	"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)\",\"params\":[],\"statement\":\"1\",\"columns\":n" \
	"ull,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"error\":null,\"tx\":" \
	"\"idle\",\"database\":\"shop\",\"user\":\"app\",\"command\":\"COM_STMT_RESET\"," \
	"\"truncated\":false}\n" \
	"10000 -1 sql_query {\"db\":\"mysql\",\"sql\":\"INSERT INTO t VALUES (?,?,?,?,?,?" \
	",?,?,?,?,?,?,?,?,?,?,?,?,?,?)\",\"params\":[],\"statement\":\"1\",\"columns\":nu" \
	"ll,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"error\":null,\"tx\":\"id" \
	"le\",\"database\":\"shop\",\"user\":\"app\",\"command\":\"COM_STMT_CLOSE\",\"tru" \
	"ncated\":false}\n" \
	"11000 12000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":null,\"statement" \
	"\":\"1\",\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"e" \
	"rror\":{\"code\":\"1243\",\"message\":\"Unknown prepared statement handler (1) g" \
	"iven to mysqld_stmt_execute\",\"sqlstate\":\"HY000\"},\"tx\":\"idle\",\"database" \
	"\":\"shop\",\"user\":\"app\",\"command\":\"COM_STMT_EXECUTE\",\"truncated\":fals" \
	"e,\"params_raw\":\"base64:AAABAg==\"}\n"
#define EXPECT_BINARY_ROWS \
	"1000 1000 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":n" \
	"ull,\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"erro" \
	"r\":null,\"tx\":\"idle\",\"database\":null,\"user\":\"app\",\"command\":\"CONNEC" \
	"T\",\"truncated\":false,\"server_version\":\"8.0.36\",\"connection_id\":12,\"aut" \
	"h_plugin\":\"mysql_native_password\",\"capabilities\":[\"CLIENT_LONG_PASSWORD\"," \
	"\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\",\"CLIENT_SECURE_CONNECTION\",\"CL" \
	"IENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\",\"CLIENT_PLUGIN_AUTH\",\"CLIENT" \
	"_DEPRECATE_EOF\"]}\n" \
	"2000 3000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT id, price, created, note " \
	"FROM t WHERE id > ? AND note <> ?\",\"params\":[],\"statement\":\"7\",\"columns" \
	"\":[\"id\",\"price\",\"created\",\"note\"],\"rows\":0,\"rows_sample\":[],\"comma" \
	"nd_tag\":\"OK, 2 params, 4 columns\",\"error\":null,\"tx\":\"idle\",\"database\"" \
	":null,\"user\":\"app\",\"command\":\"COM_STMT_PREPARE\",\"truncated\":false,\"nu" \
	"m_params\":2}\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT id, price, created, note " \
	"FROM t WHERE id > ? AND note <> ?\",\"params\":[\"10\",\"long-data\"],\"statemen" \
	"t\":\"7\",\"columns\":[\"id\",\"price\",\"created\",\"note\"],\"rows\":2,\"rows_" \
	"sample\":[[\"4000000000\",\"9.99\",\"2024-01-02 03:04:05\",\"hi\"],[\"12\",\"0\"" \
	",\"0000-00-00 00:00:00\",null]],\"command_tag\":\"SELECT 2 rows\",\"error\":null" \
	",\"tx\":\"idle\",\"database\":null,\"user\":\"app\",\"command\":\"COM_STMT_EXECU" \
	"TE\",\"truncated\":false}\n"

#define CONNECT_DEPRECATE \
	"{\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":null,\"columns\":null," \
	"\"rows\":0,\"rows_sample\":[],\"command_tag\":\"OK\",\"error\":null,\"tx\":\"idle\"," \
	"\"database\":\"shop\",\"user\":\"app\",\"command\":\"CONNECT\",\"truncated\":false," \
	"\"server_version\":\"10.11.6-MariaDB\",\"connection_id\":42," \
	"\"auth_plugin\":\"mysql_native_password\",\"capabilities\":[\"CLIENT_LONG_PASSWORD\"," \
	"\"CLIENT_CONNECT_WITH_DB\",\"CLIENT_PROTOCOL_41\",\"CLIENT_TRANSACTIONS\"," \
	"\"CLIENT_SECURE_CONNECTION\",\"CLIENT_MULTI_STATEMENTS\",\"CLIENT_MULTI_RESULTS\"," \
	"\"CLIENT_PLUGIN_AUTH\",\"CLIENT_CONNECT_ATTRS\",\"CLIENT_DEPRECATE_EOF\"]," \
	"\"connect_attrs\":{\"_client_name\":\"libmariadb\",\"_pid\":\"123\"}}"

#define EXPECT_DEPRECATE \
	"1000 3000 sql_query " CONNECT_DEPRECATE "\n" \
	"4000 5000 sql_query {\"db\":\"mysql\",\"sql\":\"SELECT id, name FROM t\"," \
	"\"params\":[],\"statement\":null,\"columns\":[\"id\",\"name\"],\"rows\":2," \
	"\"rows_sample\":[[\"1\",\"a\"],[\"2\",null]],\"command_tag\":\"SELECT 2 rows\"," \
	"\"error\":null,\"tx\":\"idle\",\"database\":\"shop\",\"user\":\"app\"," \
	"\"command\":\"COM_QUERY\",\"truncated\":false}\n" \
	"6000 -1 sql_query {\"db\":\"mysql\",\"sql\":null,\"params\":[],\"statement\":null," \
	"\"columns\":null,\"rows\":0,\"rows_sample\":[],\"command_tag\":null,\"error\":null," \
	"\"tx\":\"idle\",\"database\":\"shop\",\"user\":\"app\",\"command\":\"COM_QUIT\"," \
	"\"truncated\":false}\n"

/* ---- the fixtures ---- */

static const char *const attrs1[] = { "_client_name", "libmariadb", "_pid", "123", NULL };
static const struct col c_id_name[] = { { "id", T_LONG, 0 }, { "name", T_VAR_STRING, 0 } };

/* The connection phase (CLIENT_DEPRECATE_EOF on), a SELECT whose result
 * set ends with an OK packet of header 0xfe, then COM_QUIT. Traced from
 * the server's side (the client's bytes IN) it gives the same events. */
static void fx_deprecate_eof(struct fx *f)
{
	static const struct conn k = {
		"5.5.5-10.11.6-MariaDB", 42, CAPS_DEP | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS,
		CAPS_DEP | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS,
		"mysql_native_password", "app", "shop", attrs1,
	};
	static const char *const v[] = { "1", "a", "2", NULL };
	static const struct rs r = { 2, c_id_name, 2, v, -1 };

	hello(f, &k, 2000);
	ok0(f->s, 2);
	cut_s(f, 3000);
	cmd_text(f->c, COM_QUERY, "SELECT id, name FROM t");
	text_rs(f->s, 1, &r);
	exch(f, 4000);
	cmd_only(f->c, COM_QUIT);
	cut_c(f, 6000);
}

/* A result set without CLIENT_DEPRECATE_EOF (EOF after the definitions
 * and after the rows), a multi-result (SERVER_MORE_RESULTS_EXISTS: one
 * event per result, the same sql), OK with affected rows / insert id /
 * warnings / IN_TRANS, ERR, and the small commands. The login goes
 * through caching_sha2's AuthMoreData (fast auth success). */
static void fx_classic_eof_commands(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 7, CAPS_BASE, CAPS_BASE, "caching_sha2_password", "root", NULL, NULL,
	};
	static const struct col c1[] = { { "1", T_LONGLONG, 0 } }, cx[] = { { "x", T_VAR_STRING, 0 } };
	static const char *const one[] = { "1" }, *const x[] = { "x" };
	static const struct rs r1 = { 1, c1, 1, one, 0x000a }, r2 = { 1, cx, 1, x, 0x0002 };
	uint8_t seq;

	hello(f, &k, 2000);
	PL(f->s, 2, { mb_u8(p, 0x01); mb_u8(p, 0x03); });
	ok0(f->s, 3);
	cut_s(f, 3000);
	cmd_text(f->c, COM_QUERY, "SELECT 1; SELECT 'x'");
	seq = text_rs(f->s, 1, &r1);
	exch(f, 4000);
	text_rs(f->s, seq, &r2);
	cut_s(f, 6000);
	cmd_text(f->c, COM_QUERY, "INSERT INTO t VALUES (5)");
	ok_pkt(f->s, 1, 0x00, 1, 5, 0x0003, 1, NULL);
	exch(f, 7000);
	cmd_text(f->c, COM_QUERY, "SELEC 1");
	err_pkt(f->s, 1, 1064, "42000", "You have an error in your SQL syntax");
	exch(f, 9000);
	cmd_text(f->c, COM_INIT_DB, "sh`op");
	ok0(f->s, 1);
	exch(f, 11000);
	cmd_only(f->c, COM_PING);
	ok0(f->s, 1);
	exch(f, 13000);
	cmd_only(f->c, COM_STATISTICS);
	PL(f->s, 1, mb_put(p, "Uptime: 5  Threads: 1", 21));
	exch(f, 15000);
	PL(f->c, 0, { mb_u8(p, COM_SET_OPTION); mb_int(p, 0, 2); });
	eof_pkt(f->s, 1, 0, 0x0002);
	exch(f, 17000);
	cmd_only(f->c, COM_RESET_CONNECTION);
	ok0(f->s, 1);
	exch(f, 19000);
}

/* The server asks for another auth method (AuthSwitchRequest); the
 * client's answers never show. */
static void fx_auth_switch(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 9, CAPS_DEP, CAPS_DEP, "caching_sha2_password", "app", NULL, NULL,
	};

	hello(f, &k, 2000);
	auth_switch(f->s, 2);
	cut_s(f, 3000);
	auth_data(f->c, 3);
	ok0(f->s, 4);
	exch(f, 4000);
}

/* A wrong password: the ERR ending the connection phase is an event. */
static void fx_auth_failure(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 10, CAPS_BASE, CAPS_BASE, "mysql_native_password", "bob", NULL, NULL,
	};

	hello(f, &k, 2000);
	err_pkt(f->s, 2, 1045, "28000",
		"Access denied for user 'bob'@'localhost' (using password: YES)");
	cut_s(f, 3000);
}

/* PREPARE of a 20-parameter INSERT, EXECUTE with a value of every type
 * (and NULL), a second EXECUTE with new-params-bound 0 (types from the
 * first), COM_STMT_RESET, COM_STMT_CLOSE, then an EXECUTE of the closed
 * statement: unknown, so its parameters are shown raw, never guessed. */
static void fx_prepare_execute(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 11, CAPS_BASE, CAPS_BASE | CLIENT_CONNECT_WITH_DB,
		"mysql_native_password", "app", "shop", NULL,
	};
	static const struct pv v1[] = {
		V(T_TINY, "\xfb"),                              /* -5 */
		V(T_TINY | 0x8000, "\xfa"),                     /* 250 */
		V(T_SHORT, "\xd4\xfe"),                         /* -300 */
		V(T_LONG, "\x70\x11\x01\x00"),                  /* 70000 */
		V(T_LONGLONG | 0x8000, "\xff\xff\xff\xff\xff\xff\xff\xff"),
		V(T_LONGLONG, "\x00\xe6\x8e\xe7\xfd\xff\xff\xff"), /* -9000000000 */
		V(T_FLOAT, "\x00\x00\xc0\x3f"),                 /* 1.5 */
		V(T_DOUBLE, "\x9a\x99\x99\x99\x99\x99\xb9\x3f"), /* 0.1 */
		V(T_NEWDECIMAL, "\x05" "12.34"),
		V(T_VAR_STRING, "\x06h\xc3\xa9llo"),
		V(T_BLOB, "\x03\x00\x01\xff"),
		V(T_JSON, "\x07{\"a\":1}"),
		V(T_DATE, "\x04\xe8\x07\x02\x1d"),              /* 2024-02-29 */
		V(T_DATETIME, "\x07\xe8\x07\x02\x1d\x0d\x0e\x0f"),
		V(T_DATETIME, "\x0b\xe8\x07\x02\x1d\x0d\x0e\x0f\x40\xe2\x01\x00"),
		V(T_TIMESTAMP, "\x00"),
		V(T_TIME, "\x08\x01\x01\x00\x00\x00\x02\x03\x04"), /* -1 day 02:03:04 */
		V(T_TIME, "\x0c\x00\x00\x00\x00\x00\x0a\x00\x00\x20\xa1\x07\x00"),
		{ T_VAR_STRING, NULL, 0 },
		V(T_YEAR, "\xe8\x07"),
	};
	static const struct pv v2[] = {
		V(T_TINY, "\x01"), V(T_TINY | 0x8000, "\x02"), { T_SHORT, NULL, 0 },
		V(T_LONG, "\xff\xff\xff\xff"), V(T_LONGLONG | 0x8000, "\x00\x00\x00\x00\x00\x00\x00\x00"),
		{ T_LONGLONG, NULL, 0 }, V(T_FLOAT, "\x00\x00\x80\xbf"),
		V(T_DOUBLE, "\x00\x00\x00\x00\x00\x00\xf0\x7f"), V(T_NEWDECIMAL, "\x01" "0"),
		V(T_VAR_STRING, "\x00"), { T_BLOB, NULL, 0 }, V(T_JSON, "\x02[]"),
		V(T_DATE, "\x00"), V(T_DATETIME, "\x04\xd0\x07\x01\x01"), { 0, NULL, 0 },
		V(T_TIMESTAMP, "\x07\xe8\x07\x0c\x1f\x17\x3b\x3b"), V(T_TIME, "\x00"),
		{ 0, NULL, 0 }, V(T_VAR_STRING, "\x01z"), { 0, NULL, 0 },
	};
	static const struct col q = { "?", T_VAR_STRING, 0 };

	hello(f, &k, 1000);
	ok0(f->s, 2);
	cut_s(f, 1000);
	cmd_text(f->c, COM_STMT_PREPARE, "INSERT INTO t VALUES "
		 "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	prep_ok(f->s, 1, 0, 20);
	for (int i = 0; i < 20; i++)
		coldef(f->s, (uint8_t)(2 + i), &q);
	eof_pkt(f->s, 22, 0, 0x0002);
	exch(f, 2000);
	exec_pkt(f->c, 1, v1, 20, true);
	ok_pkt(f->s, 1, 0x00, 1, 0, 0x0002, 0, NULL);
	exch(f, 4000);
	exec_pkt(f->c, 1, v2, 20, false);
	ok_pkt(f->s, 1, 0x00, 1, 0, 0x0002, 0, NULL);
	exch(f, 6000);
	cmd_stmt(f->c, COM_STMT_RESET, 1);
	ok0(f->s, 1);
	exch(f, 8000);
	cmd_stmt(f->c, COM_STMT_CLOSE, 1);
	cut_c(f, 10000);
	exec_pkt(f->c, 1, v2, 2, false);
	err_pkt(f->s, 1, 1243, "HY000",
		"Unknown prepared statement handler (1) given to mysqld_stmt_execute");
	exch(f, 11000);
}

/* A prepared SELECT answered with binary rows (NULL bitmap offset 2),
 * with CLIENT_DEPRECATE_EOF: no EOF after the definitions, the rows end
 * with an OK of header 0xfe. Long data for one parameter first. */
static void fx_binary_rows_long_data(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 12, CAPS_DEP, CAPS_DEP, "mysql_native_password", "app", NULL, NULL,
	};
	static const struct col params[] = { { "?", T_LONGLONG, 0 }, { "?", T_VAR_STRING, 0 } };
	static const struct col cols[] = {
		{ "id", T_LONG, 32 }, { "price", T_DOUBLE, 0 }, { "created", T_DATETIME, 0 },
		{ "note", T_VAR_STRING, 0 },
	};

	hello(f, &k, 1000);
	ok0(f->s, 2);
	cut_s(f, 1000);
	cmd_text(f->c, COM_STMT_PREPARE,
		 "SELECT id, price, created, note FROM t WHERE id > ? AND note <> ?");
	prep_ok(f->s, 7, 4, 2);
	coldefs(f->s, coldefs(f->s, 2, 2, params), 4, cols);
	exch(f, 2000);
	long_data(f->c, 7, 1, "long-");
	long_data(f->c, 7, 1, "data");
	PL(f->c, 0, {
		exec_head(p, 7);
		mb_u8(p, 0);             /* null bitmap */
		mb_u8(p, 1);
		mb_u8(p, T_LONG); mb_u8(p, 0x80);
		mb_u8(p, T_BLOB); mb_u8(p, 0);
		mb_int(p, 10, 4);        /* the BLOB came as long data */
	});
	colcount(f->s, 1, 4);
	coldefs(f->s, 2, 4, cols);
	PL(f->s, 6, {
		mb_u8(p, 0);
		mb_u8(p, 0);             /* no NULL */
		mb_int(p, 4000000000u, 4);
		mb_put(p, "\x7b\x14\xae\x47\xe1\xfa\x23\x40", 8); /* 9.99 */
		mb_put(p, "\x07\xe8\x07\x01\x02\x03\x04\x05", 8);
		mb_lstr(p, "hi");
	});
	PL(f->s, 7, {
		mb_u8(p, 0);
		mb_u8(p, 1u << (3 + 2)); /* note is NULL */
		mb_int(p, 12, 4);
		mb_put(p, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
		mb_u8(p, 0);             /* zero datetime */
	});
	ok_end(f->s, 8);
	exch(f, 4000);
}

/* Attached mid-session: no handshake. A result set ending in EOF
 * packets (DEPRECATE_EOF off is learnt from the EOF after the
 * definitions), then an EXECUTE of a statement never seen (its
 * parameters are shown raw; sql null, never a guess). */
static void fx_mid_session(struct fx *f)
{
	static const struct col ca[] = { { "a", T_LONG, 0 } };
	static const char *const v[] = { "7" };
	static const struct rs r = { 1, ca, 1, v, 0x0003 };

	cmd_text(f->c, COM_QUERY, "SELECT a FROM t");
	text_rs(f->s, 1, &r);
	exch(f, 1000);
	PL(f->c, 0, {
		exec_head(p, 9);
		mb_put(p, "\x00\x01\x03\x00\x05\x00\x00\x00", 8);
	});
	ok_pkt(f->s, 1, 0x00, 1, 0, 0x0003, 0, NULL);
	exch(f, 3000);
}

/* Mid-session with CLIENT_DEPRECATE_EOF: no EOF after the definitions,
 * an empty result set ends at once with an OK of header 0xfe. */
static void fx_mid_session_deprecate(struct fx *f)
{
	static const struct col cbc[] = { { "b", T_VAR_STRING, 0 }, { "c", T_VAR_STRING, 0 } };
	static const char *const v[] = { "x", "" };
	static const struct rs r1 = { 2, cbc, 1, v, -1 }, r2 = { 1, cbc, 0, NULL, -1 };

	cmd_text(f->c, COM_QUERY, "SELECT b, c FROM t");
	text_rs(f->s, 1, &r1);
	exch(f, 1000);
	cmd_text(f->c, COM_QUERY, "SELECT b FROM t WHERE 0");
	text_rs(f->s, 1, &r2);
	exch(f, 3000);
}

/* Of the bytes written to the client's (client) or the server's side
 * since offset `from`, the first `keep` are cut at ts, then `lost` bytes
 * are a gap; the rest are cut later. */
static void cut_lose(struct fx *f, bool client, size_t from, size_t keep, size_t lost,
		     uint64_t ts)
{
	struct mb *m = client ? f->c : f->s;
	enum adi_dir d = client != f->server ? ADI_DIR_OUT : ADI_DIR_IN;
	size_t full = m->n;

	m->n = from + keep;
	cut_seg(f, d, ts);
	gap_seg(f, d, lost);
	m->n = full;
	*(d == ADI_DIR_OUT ? &f->mark_out : &f->mark_in) = from + keep + lost;
}

/* Gaps: inside a row value (absorbed: the row is cut there, the event
 * incomplete), inside a command's text (absorbed), between packets of a
 * response (the reply is lost: the command is an incomplete event and
 * the next exchange is found again), between client packets (resync). */
static void fx_gaps(struct fx *f)
{
	static const struct col cols[] = { { "id", T_LONG, 0 }, { "body", T_BLOB, 0 } };
	static const char *const r[] = { "1", "0123456789012345678901234567890123456789" };
	static const char *const r2[] = { "2", "b" };
	size_t before;

	cmd_text(f->c, COM_QUERY, "SELECT id, body FROM t");
	cut_c(f, 1000);
	colcount(f->s, 1, 2);
	coldefs(f->s, 2, 2, cols);
	eof_pkt(f->s, 4, 0, 0x0002);
	before = f->s->n;
	textrow(f->s, 5, 2, r);
	/* keep the row's first 10 bytes, lose 20, keep the rest */
	cut_lose(f, false, before, 10, 20, 2000);
	textrow(f->s, 6, 2, r2);
	eof_pkt(f->s, 7, 0, 0x0002);
	cut_s(f, 3000);
	/* a query whose text loses 5 bytes */
	before = f->c->n;
	cmd_text(f->c, COM_QUERY, "SELECT 'a gap falls in here'");
	cut_lose(f, true, before, 12, 5, 4000);
	ok0(f->s, 1);
	exch(f, 4000);
	/* a reply loses bytes between its packets */
	cmd_text(f->c, COM_QUERY, "SELECT 3");
	colcount(f->s, 1, 1);
	exch(f, 6000);
	gap_seg(f, ADI_DIR_IN, 30);
	textrow(f->s, 4, 1, r2);
	cut_s(f, 7000);
	/* bytes lost between client packets */
	gap_seg(f, ADI_DIR_OUT, 9);
	cmd_only(f->c, COM_PING);
	ok0(f->s, 1);
	exch(f, 8000);
}

/* Garbage in both directions, then a valid exchange: resync finds the
 * command (sequence id 0, a known command byte, text) and its reply
 * (sequence id 1, OK). */
static void fx_garbage_resync(struct fx *f)
{
	mb_put(f->c, "\x05\x00\x00\x00\x99garbage\x01\x02\x00", 15);
	cmd_text(f->c, COM_QUERY, "DELETE FROM t");
	mb_put(f->s, "\x30\x00\x00\x07zzzz\x00\x00\x01", 11);
	ok_pkt(f->s, 1, 0x00, 3, 0, 0x0002, 0, NULL);
	exch(f, 1000);
}

/* SSLRequest: the connection phase continues under TLS, not decoded:
 * one CONNECT event (tls), both directions DONE. */
static void fx_tls(struct fx *f)
{
	greeting(f->s, "8.0.36", 5, CAPS_BASE | CLIENT_SSL, "caching_sha2_password");
	cut_s(f, 1000);
	PL(f->c, 1, login_head(p, CAPS_BASE | CLIENT_SSL));
	cut_c(f, 2000);
	mb_put(f->c, "\x16\x03\x01\x00\x05hello", 10);
	cut_c(f, 3000);
	mb_put(f->s, "\x16\x03\x03\x00\x05world", 10);
	cut_s(f, 4000);
}

/* LOAD DATA LOCAL INFILE: the server asks for a file (0xfb), the client
 * sends it (not decoded), then OK; COM_CHANGE_USER with an auth switch
 * (user and database change on OK); COM_FIELD_LIST. */
static void fx_infile_change_user_field_list(struct fx *f)
{
	cmd_text(f->c, COM_QUERY, "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE t");
	PL(f->s, 1, { mb_u8(p, 0xfb); mb_put(p, "/tmp/x.csv", 10); });
	exch(f, 1000);
	PL(f->c, 2, mb_put(p, "1,a\n2,b\n", 8));
	PL(f->c, 3, (void)p);
	ok_pkt(f->s, 4, 0x00, 2, 0, 0x0002, 0,
	       "Records: 2  Deleted: 0  Skipped: 0  Warnings: 0");
	exch(f, 3000);
	PL(f->c, 0, {
		mb_u8(p, COM_CHANGE_USER);
		mb_zstr(p, "bob");
		mb_u8(p, 20);
		mb_put(p, AUTH_RESPONSE, 20);
		mb_zstr(p, "other");
		mb_int(p, 0x21, 2);
		mb_zstr(p, "mysql_native_password");
	});
	auth_switch(f->s, 1);
	exch(f, 5000);
	auth_data(f->c, 2);
	ok0(f->s, 3);
	exch(f, 7000);
	PL(f->c, 0, { mb_u8(p, COM_FIELD_LIST); mb_zstr(p, "t"); });
	coldefs(f->s, 1, 2, c_id_name);
	eof_pkt(f->s, 3, 0, 0x0002);
	exch(f, 9000);
}

/* MySQL 8 query attributes (CLIENT_QUERY_ATTRIBUTES): COM_QUERY carries
 * parameter_count, parameter_set_count, NULL bitmap, types with names and
 * values before the text. */
static void fx_query_attributes(struct fx *f)
{
	static const struct conn k = {
		"8.0.36", 13, CAPS_DEP | CLIENT_QUERY_ATTRIBUTES, CAPS_DEP | CLIENT_QUERY_ATTRIBUTES,
		"caching_sha2_password", "app", NULL, NULL,
	};

	hello(f, &k, 2000);
	ok0(f->s, 2);
	cut_s(f, 3000);
	PL(f->c, 0, {
		mb_u8(p, COM_QUERY);
		mb_lenenc(p, 2);          /* parameter_count */
		mb_lenenc(p, 1);          /* parameter_set_count */
		mb_u8(p, 0x02);           /* the second is NULL */
		mb_u8(p, 1);              /* new_params_bind_flag */
		mb_u8(p, T_STRING); mb_u8(p, 0);
		mb_lstr(p, "trace_id");
		mb_u8(p, T_LONG); mb_u8(p, 0);
		mb_lstr(p, "n");
		mb_lstr(p, "abc123");
		mb_put(p, "DELETE FROM t WHERE id = 1", 26);
	});
	ok_pkt(f->s, 1, 0x00, 1, 0, 0x0002, 0, NULL);
	exch(f, 4000);
}

/* A fixture: the test's name (and seed file's), what builds its bytes,
 * the traced side, and the events expected (body_bytes 64, rows_sample
 * 5). driver_only: not through the real engine (a gap completes a
 * message: the engine times it differently). */
struct fixture {
	const char *name;
	void (*build)(struct fx *f);
	bool server, driver_only;
	const char *expect;
};

static const struct fixture fixtures[] = {
	{ "test_handshake_deprecate_eof", fx_deprecate_eof, false, false, EXPECT_DEPRECATE },
	{ "test_classic_eof_commands", fx_classic_eof_commands, false, false, EXPECT_CLASSIC },
	{ "test_auth_switch", fx_auth_switch, false, false, EXPECT_AUTH_SWITCH },
	{ "test_auth_failure", fx_auth_failure, false, false, EXPECT_AUTH_FAILURE },
	{ "test_prepare_execute", fx_prepare_execute, false, false, EXPECT_PREPARE_EXECUTE },
	{ "test_binary_rows_long_data", fx_binary_rows_long_data, false, false, EXPECT_BINARY_ROWS },
	{ "test_mid_session", fx_mid_session, false, false, EXPECT_MID_SESSION },
	{ "test_mid_session_deprecate", fx_mid_session_deprecate, false, false, EXPECT_MID_DEPRECATE },
	{ "test_server_side", fx_deprecate_eof, true, false, EXPECT_SERVER_SIDE },
	{ "test_gaps", fx_gaps, false, true, EXPECT_GAPS },
	{ "test_garbage_resync", fx_garbage_resync, false, false, EXPECT_GARBAGE },
	{ "test_tls", fx_tls, false, false, EXPECT_TLS },
	{ "test_infile_change_user_field_list", fx_infile_change_user_field_list, false, false,
	  EXPECT_INFILE },
	{ "test_query_attributes", fx_query_attributes, false, false, EXPECT_QATTR },
};

/* One fixture (the cmocka state): whole, in pieces, split at every
 * offset, through the engine (pd_check_fixture). */
static void test_fixture(void **state)
{
	const struct fixture *x = *state;
	struct fx f;
	struct pd_case c;

	fx_init(&f, x->server);
	x->build(&f);
	c = fx_case(&f, x->name, 64, 5);
	c.driver_only = x->driver_only;
	show(&c);
	pd_check_fixture(&c, x->expect);
	fx_free(&f);
}

/* A >16 MiB query (payload continued in a second packet) and a >16 MiB
 * row value: consumed in pieces, the text kept up to 64 KiB (truncated),
 * the value up to body_bytes. Whole, through the engine, and a few random
 * cuttings (every offset would be too slow). */
static void test_big_packets(void **state)
{
	static const struct col cv = { "v", T_LONG_BLOB_, 0 };
	struct fx f;
	struct pd_case c;
	size_t big = 0xffffff + 100;
	struct mb q = { 0 }, row = { 0 };
	char *t, *expect;
	size_t elen;

	(void)state;
	fx_init(&f, false);
	mb_u8(&q, COM_QUERY);
	mb_put(&q, "SELECT '", 8);
	mb_fill(&q, 'q', big);
	mb_put(&q, "'", 1);
	assert_int_equal(mb_pkt(f.c, 0, &q), 2);
	cut_c(&f, 1000);
	colcount(f.s, 1, 1);
	coldef(f.s, 2, &cv);
	mb_lenenc(&row, big);
	mb_fill(&row, 'v', big);
	assert_int_equal(mb_pkt(f.s, 3, &row), 5);
	ok_end(f.s, 5);
	cut_s(&f, 2000);
	c = fx_case(&f, __func__, 16, 5);
	/* the expected text: sql = "SELECT '" + q... cut at 65536 bytes */
	elen = 65536 + 1024;
	expect = malloc(elen);
	assert_non_null(expect);
	{
		char *sql = malloc(65537);

		memcpy(sql, "SELECT '", 8);
		memset(sql + 8, 'q', 65536 - 8);
		sql[65536] = '\0';
		snprintf(expect, elen,
			 "1000 2000 sql_query {\"db\":\"mysql\",\"sql\":\"%s\",\"params\":[],"
			 "\"statement\":null,\"columns\":[\"v\"],\"rows\":1,"
			 "\"rows_sample\":[[\"vvvvvvvvvvvvvvvv\"]],\"command_tag\":\"SELECT 1 row\","
			 "\"error\":null,\"tx\":\"idle\",\"database\":null,\"user\":null,"
			 "\"command\":\"COM_QUERY\",\"truncated\":true}\n", sql);
		free(sql);
	}
	t = pd_run(&c, PD_WHOLE, 0);
	assert_string_equal(t, expect);
	free(t);
	t = pd_run_engine(&c, false);
	assert_string_equal(t, expect);
	free(t);
	for (size_t seed = 1; seed <= 2; seed++) {
		t = pd_run(&c, PD_RANDOM, seed);
		assert_string_equal(t, expect);
		free(t);
	}
	free(expect);
	mb_free(&q);
	mb_free(&row);
	fx_free(&f);
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	int dir;          /* ADI_DIR_IN / OUT, the traced task being the client */
	uint16_t port;
	int expect;       /* exact score, or -2: below ADI_SNIFF_CLAIM */
};

#define SN(w, s, d, port, e) { (w), (s), sizeof(s) - 1, (d), (port), (e) }

/* The sniffer claims a greeting and the common commands, and never the
 * first bytes of other protocols. */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("greeting", "\x4a\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00"
		   "abcdefgh\x00\xff\xff\x21\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00"
		   "\x00\x00\x00\x00ijklmnopqrst\x00" "caching_sha2_password\x00",
		   ADI_DIR_IN, 0, 95),
		SN("greeting cut in its version", "\x4a\x00\x00\x00\x0a" "8.0", ADI_DIR_IN, 0, -1),
		SN("greeting from the client", "\x4a\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00"
		   "abcdefgh\x00\xff\xff\x21\x02\x00\xff\xdf", ADI_DIR_OUT, 0, 0),
		SN("COM_QUERY", "\x09\x00\x00\x00\x03SELECT 1", ADI_DIR_OUT, 0, 75),
		SN("COM_QUERY port 3306", "\x09\x00\x00\x00\x03SELECT 1", ADI_DIR_OUT, 3306, 95),
		SN("COM_QUERY with attributes", "\x0b\x00\x00\x00\x03\x00\x01SELECT 1",
		   ADI_DIR_OUT, 0, 75),
		SN("COM_QUERY from the server", "\x09\x00\x00\x00\x03SELECT 1", ADI_DIR_IN, 0, 0),
		SN("COM_STMT_EXECUTE", "\x0f\x00\x00\x00\x17\x01\x00\x00\x00\x00\x01\x00\x00\x00"
		   "\x00\x01\x03\x00", ADI_DIR_OUT, 0, 70),
		SN("COM_PING", "\x01\x00\x00\x00\x0e", ADI_DIR_OUT, 0, 40),
		SN("COM_PING port 3306", "\x01\x00\x00\x00\x0e", ADI_DIR_OUT, 3306, 60),
		SN("short", "\x09\x00", ADI_DIR_OUT, 0, -1),
		SN("HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ADI_DIR_OUT, 3306, 0),
		SN("HTTP response", "HTTP/1.1 200 OK\r\n\r\n", ADI_DIR_IN, 0, 0),
		SN("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, 0, 0),
		SN("Postgres StartupMessage", "\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00"
		   "database\x00shop\x00\x00", ADI_DIR_OUT, 0, 0),
		SN("Postgres SSLRequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f", ADI_DIR_OUT, 0, 0),
		SN("Postgres Parse", "P\x00\x00\x00\x16\x00SELECT $1\x00\x00\x01\x00\x00\x00\x17",
		   ADI_DIR_OUT, 0, 0),
		SN("Postgres Query", "Q\x00\x00\x00\x0dSELECT 1\x00", ADI_DIR_OUT, 3306, 0),
		SN("Postgres AuthenticationSASL", "R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256"
		   "\x00\x00", ADI_DIR_IN, 0, 0),
		SN("Redis", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", ADI_DIR_OUT, 0, 0),
		SN("TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, 0, 0),
		SN("TLS record 03", "\x16\x03\x01\x00\x03\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, 0, 0),
		SN("MongoDB", "\x3b\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00",
		   ADI_DIR_OUT, 0, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx ctx = { .dir = (enum adi_dir)k->dir, .remote_port = k->port };
		uint8_t *b = malloc(k->n ? k->n : 1);
		int got;

		memcpy(b, k->b, k->n);
		got = adi_proto_mysql.sniff(b, k->n, &ctx);
		free(b);
		if (k->expect == -2 ? got >= ADI_SNIFF_CLAIM : got != k->expect) {
			print_error("sniff: %s: %d, expected %d\n", k->what, got, k->expect);
			fail();
		}
	}
}

int main(void)
{
	struct CMUnitTest tests[sizeof(fixtures) / sizeof(fixtures[0]) + 2];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		/* cmocka's state is a void *: test_fixture only reads it */
		struct CMUnitTest t = { .name = fixtures[i].name, .test_func = test_fixture,
					.initial_state = (void *)&fixtures[i] };

		tests[n++] = t;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_big_packets);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sniff);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
