/* test_postgres.c - unit tests of the PostgreSQL decoder (src/proto/
 * postgres.c). Each fixture is built with a small message builder (one
 * function per protocol message, from the formats in
 * https://www.postgresql.org/docs/current/protocol-message-formats.html),
 * cut into segments (direction, timestamp), driven through the shared
 * decoder driver and the real engine (tests/support/pdrive.h: whole, in
 * 1-byte pieces, split at every offset), and the events compared with
 * hand-written expectations derived from the protocol documentation and
 * docs/events.md. Sniffer tests check other protocols' first bytes score 0.
 * With ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_postgres.c ("postgres-<test name>").
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
#include "proto/postgres.h"
#include "proto/proto.h"

/* The driver reports a broken promise of the decoder here. */
/* ---- the message builder ---- */

struct mb {
	uint8_t *b;
	size_t n, cap, start;
};

#define MB_POOL 64
static struct mb pool[MB_POOL];
static size_t npool;

/* A fresh buffer, freed by pool_free() at the end of the test. */
static struct mb *mb_new(void)
{
	struct mb *m;

	assert_true(npool < MB_POOL);
	m = &pool[npool++];
	memset(m, 0, sizeof(*m));
	return m;
}

static void pool_free(void)
{
	for (size_t i = 0; i < npool; i++)
		free(pool[i].b);
	npool = 0;
}

static void put(struct mb *m, const void *p, size_t k)
{
	if (m->n + k > m->cap) {
		m->cap = (m->n + k) * 2 + 64;
		m->b = realloc(m->b, m->cap);
		assert_non_null(m->b);
	}
	if (k)
		memcpy(m->b + m->n, p, k);
	m->n += k;
}

static void u8(struct mb *m, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(m, &b, 1);
}

static void u16(struct mb *m, unsigned v)
{
	u8(m, v >> 8);
	u8(m, v);
}

static void u32(struct mb *m, uint32_t v)
{
	u16(m, v >> 16);
	u16(m, v & 0xffff);
}

static void cstr(struct mb *m, const char *s)
{
	put(m, s, strlen(s) + 1);
}

/* Type byte and a length patched by end(). */
static void begin(struct mb *m, char type)
{
	u8(m, (uint8_t)type);
	m->start = m->n;
	u32(m, 0);
}

static void end(struct mb *m)
{
	uint32_t len = (uint32_t)(m->n - m->start);

	m->b[m->start] = (uint8_t)(len >> 24);
	m->b[m->start + 1] = (uint8_t)(len >> 16);
	m->b[m->start + 2] = (uint8_t)(len >> 8);
	m->b[m->start + 3] = (uint8_t)len;
}

/* A message without a body (Sync, Flush, ParseComplete, BindComplete,
 * CloseComplete, NoData, EmptyQueryResponse, PortalSuspended, CopyDone). */
static void m_empty(struct mb *m, char type)
{
	begin(m, type);
	end(m);
}

/* StartupMessage: Int32 len, Int32 196608, (key\0 value\0)* \0 */
static void m_startup(struct mb *m, const char *const *kv)
{
	m->start = m->n;
	u32(m, 0);
	u32(m, 196608);
	for (; *kv; kv++)
		cstr(m, *kv);
	u8(m, 0);
	end(m);
}

static void m_query(struct mb *m, const char *sql)
{
	begin(m, 'Q');
	cstr(m, sql);
	end(m);
}

static void m_parse(struct mb *m, const char *name, const char *sql, unsigned n,
		    const uint32_t *oids)
{
	begin(m, 'P');
	cstr(m, name);
	cstr(m, sql);
	u16(m, n);
	for (unsigned i = 0; i < n; i++)
		u32(m, oids[i]);
	end(m);
}

/* A bound value: len -1 is NULL. */
struct val {
	const void *p;
	int32_t len;
};

#define VS(s) { (s), (int32_t)(sizeof(s) - 1) }
#define VNULL { NULL, -1 }

static void m_bind(struct mb *m, const char *portal, const char *stmt, unsigned nf,
		   const uint16_t *fmts, unsigned nv, const struct val *v,
		   unsigned nr, const uint16_t *rfmts)
{
	begin(m, 'B');
	cstr(m, portal);
	cstr(m, stmt);
	u16(m, nf);
	for (unsigned i = 0; i < nf; i++)
		u16(m, fmts[i]);
	u16(m, nv);
	for (unsigned i = 0; i < nv; i++) {
		u32(m, (uint32_t)v[i].len);
		if (v[i].len > 0)
			put(m, v[i].p, (size_t)v[i].len);
	}
	u16(m, nr);
	for (unsigned i = 0; i < nr; i++)
		u16(m, rfmts[i]);
	end(m);
}

/* Describe / Close: 'S' or 'P', name */
static void m_named(struct mb *m, char type, char what, const char *name)
{
	begin(m, type);
	u8(m, (uint8_t)what);
	cstr(m, name);
	end(m);
}

static void m_execute(struct mb *m, const char *portal, uint32_t max)
{
	begin(m, 'E');
	cstr(m, portal);
	u32(m, max);
	end(m);
}

/* RowDescription: names, type OIDs, formats */
static void m_rowdesc(struct mb *m, unsigned n, const char *const *names,
		      const uint32_t *oids, const uint16_t *fmts)
{
	begin(m, 'T');
	u16(m, n);
	for (unsigned i = 0; i < n; i++) {
		cstr(m, names[i]);
		u32(m, 16384);          /* table OID */
		u16(m, (uint16_t)(i + 1)); /* column number */
		u32(m, oids[i]);
		u16(m, 0xffff);         /* typlen (-1) */
		u32(m, 0xffffffff);     /* typmod */
		u16(m, fmts ? fmts[i] : 0);
	}
	end(m);
}

static void m_datarow(struct mb *m, unsigned n, const struct val *v)
{
	begin(m, 'D');
	u16(m, n);
	for (unsigned i = 0; i < n; i++) {
		u32(m, (uint32_t)v[i].len);
		if (v[i].len > 0)
			put(m, v[i].p, (size_t)v[i].len);
	}
	end(m);
}

/* One text column row. */
static void m_row1(struct mb *m, const char *s)
{
	struct val v = { s, (int32_t)strlen(s) };

	m_datarow(m, 1, &v);
}

static void m_complete(struct mb *m, const char *tag)
{
	begin(m, 'C');
	cstr(m, tag);
	end(m);
}

static void m_ready(struct mb *m, char tx)
{
	begin(m, 'Z');
	u8(m, (uint8_t)tx);
	end(m);
}

/* ErrorResponse / NoticeResponse with S, V, C, M and optional D, H. */
static void m_error(struct mb *m, char type, const char *sev, const char *code,
		    const char *msg, const char *detail, const char *hint)
{
	begin(m, type);
	u8(m, 'S');
	cstr(m, sev);
	u8(m, 'V');
	cstr(m, sev);
	u8(m, 'C');
	cstr(m, code);
	u8(m, 'M');
	cstr(m, msg);
	if (detail) {
		u8(m, 'D');
		cstr(m, detail);
	}
	if (hint) {
		u8(m, 'H');
		cstr(m, hint);
	}
	u8(m, 'F');
	cstr(m, "postgres.c");
	u8(m, 0);
	end(m);
}

static void m_auth(struct mb *m, uint32_t code, const void *data, size_t n)
{
	begin(m, 'R');
	u32(m, code);
	put(m, data, n);
	end(m);
}

/* PasswordMessage / SASLInitialResponse / SASLResponse: bytes as given. */
static void m_pass(struct mb *m, const void *data, size_t n)
{
	begin(m, 'p');
	put(m, data, n);
	end(m);
}

static void m_param_status(struct mb *m, const char *k, const char *v)
{
	begin(m, 'S');
	cstr(m, k);
	cstr(m, v);
	end(m);
}

static void m_key_data(struct mb *m, uint32_t pid, uint32_t key)
{
	begin(m, 'K');
	u32(m, pid);
	u32(m, key);
	end(m);
}

static void m_notify(struct mb *m, uint32_t pid, const char *ch, const char *payload)
{
	begin(m, 'A');
	u32(m, pid);
	cstr(m, ch);
	cstr(m, payload);
	end(m);
}

static void m_paramdesc(struct mb *m, unsigned n, const uint32_t *oids)
{
	begin(m, 't');
	u16(m, n);
	for (unsigned i = 0; i < n; i++)
		u32(m, oids[i]);
	end(m);
}

/* CopyInResponse 'G' / CopyOutResponse 'H': text format, n columns */
static void m_copy_resp(struct mb *m, char type, unsigned n)
{
	begin(m, type);
	u8(m, 0);
	u16(m, n);
	for (unsigned i = 0; i < n; i++)
		u16(m, 0);
	end(m);
}

static void m_copy_data(struct mb *m, const char *s)
{
	begin(m, 'd');
	put(m, s, strlen(s));
	end(m);
}

static void m_copy_fail(struct mb *m, const char *why)
{
	begin(m, 'f');
	cstr(m, why);
	end(m);
}

#define SEG_OUT(t, m) { PD_DATA, ADI_DIR_OUT, (m)->b, (m)->n, (t) }
#define SEG_IN(t, m) { PD_DATA, ADI_DIR_IN, (m)->b, (m)->n, (t) }

/* The fixture through the real engine, whole and in 1-byte pieces. */
static void check_engine(const struct pd_case *c, const char *expect)
{
	for (int bytes = 0; bytes < 2; bytes++) {
		char *got = pd_run_engine(c, bytes);

		if (strcmp(got, expect))
			fprintf(stderr, "engine (bytes %d):\n%s\nexpected:\n%s\n", bytes, got,
				expect);
		assert_string_equal(got, expect);
		free(got);
	}
}

#define FIX(segs_, body_, rows_, secrets_, server_) \
	{ .name = __func__, .proto = &adi_proto_postgres, .segs = (segs_), \
	  .nsegs = PD_NSEG(segs_), \
	  .cfg = { .body_bytes = (body_), .rows_sample = (rows_), \
		   .show_secrets = (secrets_) }, \
	  .server = (server_) }

/* The tail of events without a startup seen. */
#define NOUSER "\"database\":null,\"user\":null"

/* ---- fixtures and their events ---- */

/* "SELECT 1" answered with one int4 column in text. */
static void answer_select1(struct mb *in)
{
	static const char *const names[] = { "?column?" };
	static const uint32_t oids[] = { 23 };

	m_rowdesc(in, 1, names, oids, NULL);
	m_row1(in, "1");
	m_complete(in, "SELECT 1");
	m_ready(in, 'I');
}

#define EV_SELECT1(db_user) \
	"{\"db\":\"postgres\",\"sql\":\"SELECT 1\",\"params\":[],\"statement\":null," \
	"\"columns\":[\"?column?\"],\"rows\":1,\"rows_sample\":[[\"1\"]]," \
	"\"command_tag\":\"SELECT 1\",\"error\":null,\"tx\":\"idle\"," db_user "}\n"

/* Startup, MD5 authentication (the password never appears, even with
 * show_secrets), parameter status and key data, then a query. */
static void startup_md5(const char *name, bool secrets)
{
	static const char *const kv[] = { "user", "alice", "database", "shop",
					  "application_name", "psql", NULL };
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();
	struct mb *s3 = mb_new(), *r3 = mb_new();
	static const char pw[] = "md5a3556571e93b0d20722ba62be61e8c2d";

	m_startup(s1, kv);
	m_auth(r1, 5, "\x01\x02\x03\x04", 4);
	m_pass(s2, pw, sizeof(pw));
	m_auth(r2, 0, NULL, 0);
	m_param_status(r2, "server_version", "15.4");
	m_param_status(r2, "client_encoding", "UTF8");
	m_key_data(r2, 4242, 0x5ec2e7);
	m_ready(r2, 'I');
	m_query(s3, "SELECT 1");
	answer_select1(r3);
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, s1), SEG_IN(2000, r1), SEG_OUT(3000, s2),
			SEG_IN(4000, r2), SEG_OUT(5000, s3), SEG_IN(6000, r3),
		};
		struct pd_case c = FIX(s, 4096, 5, secrets, false);

		c.name = name;
		pd_check_fixture(&c, "5000 6000 sql_query "
			      EV_SELECT1("\"database\":\"shop\",\"user\":\"alice\""));
	}
	pool_free();
}

static void test_startup_md5(void **state)
{
	(void)state;
	startup_md5(__func__, false);
}

static void test_startup_md5_show_secrets(void **state)
{
	(void)state;
	startup_md5(__func__, true);
}

/* SCRAM-SHA-256 (SASL, SASLContinue, SASLFinal): nothing of the exchange
 * is written, even with show_secrets; database defaults to the user. */
static void test_startup_scram(void **state)
{
	static const char *const kv[] = { "user", "bob", NULL };
	static const char first[] = "SCRAM-SHA-256\0\0\0\0\x1cn,,n=,r=rOprNGfwEbeRWgbNEkqO";
	static const char cont[] = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
				   "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
	static const char fin[] = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
				  "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	static const char ver[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();
	struct mb *s3 = mb_new(), *r3 = mb_new(), *s4 = mb_new(), *r4 = mb_new();

	(void)state;
	m_startup(s1, kv);
	m_auth(r1, 10, "SCRAM-SHA-256\0", 15);
	m_pass(s2, first, sizeof(first) - 1);
	m_auth(r2, 11, cont, sizeof(cont) - 1);
	m_pass(s3, fin, sizeof(fin) - 1);
	m_auth(r3, 12, ver, sizeof(ver) - 1);
	m_auth(r3, 0, NULL, 0);
	m_ready(r3, 'I');
	m_query(s4, "BEGIN");
	m_complete(r4, "BEGIN");
	m_ready(r4, 'T');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, s1), SEG_IN(2000, r1), SEG_OUT(3000, s2),
			SEG_IN(4000, r2), SEG_OUT(5000, s3), SEG_IN(6000, r3),
			SEG_OUT(7000, s4), SEG_IN(8000, r4),
		};
		struct pd_case c = FIX(s, 4096, 5, true, false);

		pd_check_fixture(&c,
			"7000 8000 sql_query {\"db\":\"postgres\",\"sql\":\"BEGIN\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":\"BEGIN\",\"error\":null,\"tx\":\"in_tx\","
			"\"database\":\"bob\",\"user\":\"bob\"}\n");
	}
	pool_free();
}

/* SSLRequest answered 'N': the startup follows in clear. */
static void test_ssl_refused(void **state)
{
	static const char *const kv[] = { "user", "carol", "database", "db1", NULL };
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();
	struct mb *s3 = mb_new(), *r3 = mb_new();

	(void)state;
	put(s1, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
	put(r1, "N", 1);
	m_startup(s2, kv);
	m_auth(r2, 0, NULL, 0);
	m_ready(r2, 'I');
	m_query(s3, "SELECT 1");
	answer_select1(r3);
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, s1), SEG_IN(2000, r1), SEG_OUT(3000, s2),
			SEG_IN(4000, r2), SEG_OUT(5000, s3), SEG_IN(6000, r3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c, "5000 6000 sql_query "
			      EV_SELECT1("\"database\":\"db1\",\"user\":\"carol\""));
	}
	pool_free();
}

/* SSLRequest answered 'S': TLS follows, nothing more is decoded (both
 * directions DONE). */
static void test_ssl_accepted(void **state)
{
	static const struct pd_seg s[] = {
		PD_OUT(1000, "\x00\x00\x00\x08\x04\xd2\x16\x2f"),
		PD_IN(2000, "S"),
		PD_OUT(3000, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"),
		PD_IN(4000, "\x16\x03\x03\x00\x02\x02\x00"),
	};
	struct pd_case c = FIX(s, 4096, 5, false, false);

	(void)state;
	pd_check_fixture(&c, "# skipped out=0 in=0 done out=1 in=1\n");
}

/* GSSENCRequest answered 'N', then a startup. */
static void test_gssenc_refused(void **state)
{
	static const char *const kv[] = { "user", "dave", NULL };
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();
	struct mb *s3 = mb_new(), *r3 = mb_new();

	(void)state;
	put(s1, "\x00\x00\x00\x08\x04\xd2\x16\x30", 8);
	put(r1, "N", 1);
	m_startup(s2, kv);
	m_auth(r2, 0, NULL, 0);
	m_ready(r2, 'I');
	m_query(s3, "SELECT 1");
	answer_select1(r3);
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, s1), SEG_IN(2000, r1), SEG_OUT(3000, s2),
			SEG_IN(4000, r2), SEG_OUT(5000, s3), SEG_IN(6000, r3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c, "5000 6000 sql_query "
			      EV_SELECT1("\"database\":\"dave\",\"user\":\"dave\""));
	}
	pool_free();
}

/* CancelRequest: an event of its own (op "cancel", the backend's pid; the
 * secret key never written), without a reply. */
static void test_cancel(void **state)
{
	static const struct pd_seg s[] = {
		PD_OUT(1000, "\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x10\x92\xde\xad\xbe\xef"),
	};
	struct pd_case c = FIX(s, 4096, 5, false, false);

	(void)state;
	pd_check_fixture(&c,
		"1000 -1 sql_query {\"db\":\"postgres\",\"sql\":null,\"params\":[],"
		"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
		"\"command_tag\":null,\"error\":null,\"tx\":null," NOUSER ","
		"\"op\":\"cancel\",\"backend_pid\":4242}\n");
}

/* The server refuses the startup: an event with the error (op "startup"). */
static void test_startup_refused(void **state)
{
	static const char *const kv[] = { "user", "mallory", "database", "x", NULL };
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();

	(void)state;
	m_startup(s1, kv);
	m_auth(r1, 3, NULL, 0);
	m_pass(s2, "hunter2", 8);
	m_error(r2, 'E', "FATAL", "28P01",
		"password authentication failed for user \"mallory\"", NULL, NULL);
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, s1), SEG_IN(2000, r1), SEG_OUT(3000, s2),
			SEG_IN(4000, r2),
		};
		struct pd_case c = FIX(s, 4096, 5, true, false);

		pd_check_fixture(&c,
			"1000 4000 sql_query {\"db\":\"postgres\",\"sql\":null,\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":null,\"error\":{\"code\":\"28P01\",\"message\":"
			"\"password authentication failed for user \\\"mallory\\\"\","
			"\"severity\":\"FATAL\"},\"tx\":null,\"database\":\"x\","
			"\"user\":\"mallory\",\"op\":\"startup\"}\n");
	}
	pool_free();
}

/* Several statements in one Query: one event each, with its own text
 * (semicolons in quotes, dollar quotes and comments do not split) and its
 * own CommandComplete; the last one ends at ReadyForQuery. */
static void test_simple_multi(void **state)
{
	static const char *const names[] = { "v" };
	static const uint32_t oids[] = { 25 };
	struct mb *q = mb_new(), *r1 = mb_new(), *r2 = mb_new(), *r3 = mb_new();
	struct mb *r4 = mb_new();

	(void)state;
	m_query(q, "INSERT INTO t VALUES (1);\n UPDATE t SET a = 2 /* ; */ WHERE b = ';'"
		   " -- x;\n;; SELECT $$x;y$$ AS v;");
	m_complete(r1, "INSERT 0 1");
	m_complete(r2, "UPDATE 3");
	m_rowdesc(r3, 1, names, oids, NULL);
	m_row1(r3, "x;y");
	m_complete(r3, "SELECT 1");
	m_ready(r4, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, q), SEG_IN(2000, r1), SEG_IN(3000, r2),
			SEG_IN(4000, r3), SEG_IN(5000, r4),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO t VALUES (1)\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":1,"
			"\"rows_sample\":[],\"command_tag\":\"INSERT 0 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"1000 3000 sql_query {\"db\":\"postgres\",\"sql\":"
			"\"UPDATE t SET a = 2 /* ; */ WHERE b = ';' -- x;\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":3,"
			"\"rows_sample\":[],\"command_tag\":\"UPDATE 3\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"1000 5000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT $$x;y$$ AS v\","
			"\"params\":[],\"statement\":null,\"columns\":[\"v\"],\"rows\":1,"
			"\"rows_sample\":[[\"x;y\"]],\"command_tag\":\"SELECT 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* An error stops a multi-statement Query (no events for the statements
 * after it); a syntax error rejects the whole string (its event has the
 * whole text); an empty query; detail and hint in the error. */
static void test_query_errors(void **state)
{
	static const char *const names[] = { "?column?" };
	static const uint32_t oids[] = { 23 };
	struct mb *q1 = mb_new(), *r1 = mb_new(), *r2 = mb_new(), *q2 = mb_new();
	struct mb *r3 = mb_new(), *q3 = mb_new(), *r4 = mb_new(), *q4 = mb_new();
	struct mb *r5 = mb_new();

	(void)state;
	m_query(q1, "SELECT 1; SELECT 1/0; SELECT 3");
	m_rowdesc(r1, 1, names, oids, NULL);
	m_row1(r1, "1");
	m_complete(r1, "SELECT 1");
	m_error(r2, 'E', "ERROR", "22012", "division by zero", NULL, NULL);
	m_ready(r2, 'I');
	m_query(q2, "SELECT 1; SELEC 2");
	m_error(r3, 'E', "ERROR", "42601", "syntax error at or near \"SELEC\"", NULL, NULL);
	m_ready(r3, 'I');
	m_query(q3, "  ");
	m_empty(r4, 'I');
	m_ready(r4, 'I');
	m_query(q4, "INSERT INTO t VALUES (1)");
	m_error(r5, 'E', "ERROR", "23505", "duplicate key value violates unique constraint \"t_pkey\"",
		"Key (a)=(1) already exists.", "Pick another key.");
	m_ready(r5, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, q1), SEG_IN(2000, r1), SEG_IN(3000, r2),
			SEG_OUT(4000, q2), SEG_IN(5000, r3), SEG_OUT(6000, q3),
			SEG_IN(7000, r4), SEG_OUT(8000, q4), SEG_IN(9000, r5),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT 1\","
			"\"params\":[],\"statement\":null,\"columns\":[\"?column?\"],\"rows\":1,"
			"\"rows_sample\":[[\"1\"]],\"command_tag\":\"SELECT 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"1000 3000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT 1/0\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":{\"code\":\"22012\","
			"\"message\":\"division by zero\",\"severity\":\"ERROR\"},"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"4000 5000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT 1; SELEC 2\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":{\"code\":\"42601\","
			"\"message\":\"syntax error at or near \\\"SELEC\\\"\",\"severity\":\"ERROR\"},"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"6000 7000 sql_query {\"db\":\"postgres\",\"sql\":\"  \","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"8000 9000 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO t VALUES (1)\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":{\"code\":\"23505\","
			"\"message\":\"duplicate key value violates unique constraint \\\"t_pkey\\\"\","
			"\"severity\":\"ERROR\",\"detail\":\"Key (a)=(1) already exists.\","
			"\"hint\":\"Pick another key.\"},"
			"\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* Extended query with parameters of every decoded type in binary (types
 * from the Parse), one in text, a NULL and an unknown type; binary result
 * columns decoded by their RowDescription types. */
static void test_extended_binary(void **state)
{
	static const uint32_t poids[] = {
		16, 21, 23, 20, 700, 701, 1700, 25, 1043, 1042, 19, 17, 2950, 1082,
		1114, 1184, 114, 3802, 26, 1007, 25, 23,
	};
	static const uint16_t pf[] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	};
	static const struct val pv[] = {
		VS("\x01"),                             /* bool true */
		VS("\xff\xfe"),                         /* int2 -2 */
		VS("\x00\x01\xe2\x40"),                 /* int4 123456 */
		VS("\xff\xff\xff\xfd\xe7\x8e\xe6\x00"), /* int8 -9000000000 */
		VS("\x3f\xc0\x00\x00"),                 /* float4 1.5 */
		VS("\x3f\xb9\x99\x99\x99\x99\x99\x9a"), /* float8 0.1 */
		/* numeric -12.345: 2 digits, weight 0, negative, dscale 3,
		 * base-10000 digits 12 and 3450 */
		VS("\x00\x02\x00\x00\x40\x00\x00\x03\x00\x0c\x0d\x7a"),
		VS("h\xc3\xa9llo"),                     /* text */
		VS("v"),                                /* varchar */
		VS("ab  "),                             /* bpchar */
		VS("nm"),                               /* name */
		VS("\x00\xff\x10"),                     /* bytea */
		VS("\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x14\x17\x40\x00"),
		VS("\x00\x00\x22\x79"),                 /* date: 8825 days */
		VS("\x00\x02\xb5\x83\x41\x72\x86\x08"), /* timestamp 762525296789000 us */
		VS("\x00\x00\x00\x00\x00\x00\x00\x00"), /* timestamptz: the epoch */
		VS("{\"a\":1}"),                        /* json */
		VS("\x01[1,2]"),                        /* jsonb, version 1 */
		VS("\xff\xff\xff\xff"),                 /* oid */
		VS("\x01\x02\x03"),                     /* int4[]: not decoded */
		VNULL,
		VS("42"),                               /* text format */
	};
	static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
	static const uint32_t roids[] = { 701, 700, 1700, 1114, 1082, 1083, 20, 701 };
	static const uint16_t rf[] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint16_t one[] = { 1 };
	static const struct val row[] = {
		VS("\x44\x15\xaf\x1d\x78\xb5\x8c\x40"), /* float8 1e20 */
		VS("\x49\x74\x24\x00"),                 /* float4 1e6 */
		/* numeric 0.0001: 1 digit, weight -1, dscale 4, digit 1 */
		VS("\x00\x01\xff\xff\x00\x00\x00\x04\x00\x01"),
		VS("\x7f\xff\xff\xff\xff\xff\xff\xff"), /* timestamp infinity */
		VS("\xff\xf4\x9d\x7b"),                 /* date 44-03-15 BC */
		VS("\x00\x00\x00\x0b\x86\x75\xb0\x20"), /* time 13:45:00.5 */
		VNULL,
		VS("\x3f\xf0\x00\x00\x00\x00\x00\x01"), /* float8 1.0000000000000002 */
	};
	struct mb *o = mb_new(), *in = mb_new();

	(void)state;
	m_parse(o, "", "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
		       "$14, $15, $16, $17, $18, $19, $20, $21, $22", 22, poids);
	m_bind(o, "", "", 22, pf, 22, pv, 1, one);
	m_named(o, 'D', 'P', "");
	m_execute(o, "", 0);
	m_empty(o, 'S');
	m_empty(in, '1');
	m_empty(in, '2');
	m_rowdesc(in, 8, names, roids, rf);
	m_datarow(in, 8, row);
	m_complete(in, "SELECT 1");
	m_ready(in, 'I');
	{
		struct pd_seg s[] = { SEG_OUT(1000, o), SEG_IN(2000, in) };
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT $1, $2, $3, $4, "
			"$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
			"$20, $21, $22\",\"params\":[\"t\",\"-2\",\"123456\",\"-9000000000\","
			"\"1.5\",\"0.1\",\"-12.345\",\"h\xc3\xa9llo\",\"v\",\"ab  \",\"nm\","
			"\"\\\\x00ff10\",\"123e4567-e89b-12d3-a456-426614174000\",\"2024-02-29\","
			"\"2024-02-29 12:34:56.789\",\"2000-01-01 00:00:00+00\",\"{\\\"a\\\":1}\","
			"\"[1,2]\",\"4294967295\",\"base64:AQID\",null,\"42\"],"
			"\"statement\":null,\"columns\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"],"
			"\"rows\":1,\"rows_sample\":[[\"1e+20\",\"1e+06\",\"0.0001\",\"infinity\","
			"\"0044-03-15 BC\",\"13:45:00.5\",null,\"1.0000000000000002\"]],"
			"\"command_tag\":\"SELECT 1\",\"error\":null,\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* A named statement prepared once (types from ParameterDescription, as
 * the Parse left them 0; columns from its Describe) and executed in later
 * batches: sql and statement come from the Parse, ts_start is the Bind.
 * No event for the prepare-only batch. After Close the name is unknown:
 * sql null, never an old text. */
static void test_named_reuse(void **state)
{
	static const uint32_t zero[] = { 0 }, int4[] = { 23 }, text[] = { 25 };
	static const char *const names[] = { "name" };
	static const uint16_t bin[] = { 1 }, txt[] = { 0 };
	static const struct val seven[] = { VS("\x00\x00\x00\x07") };
	static const struct val eight[] = { VS("\x00\x00\x00\x08") };
	static const struct val nine[] = { VS("9") };
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();
	struct mb *o3 = mb_new(), *i3 = mb_new(), *o4 = mb_new(), *i4 = mb_new();
	struct mb *o5 = mb_new(), *i5 = mb_new();

	(void)state;
	m_parse(o1, "s1", "SELECT name FROM users WHERE id = $1", 1, zero);
	m_named(o1, 'D', 'S', "s1");
	m_empty(o1, 'S');
	m_empty(i1, '1');
	m_paramdesc(i1, 1, int4);
	m_rowdesc(i1, 1, names, text, NULL);
	m_ready(i1, 'I');
	m_bind(o2, "", "s1", 1, bin, 1, seven, 1, txt);
	m_execute(o2, "", 0);
	m_empty(o2, 'S');
	m_empty(i2, '2');
	m_row1(i2, "ann");
	m_complete(i2, "SELECT 1");
	m_ready(i2, 'I');
	m_bind(o3, "", "s1", 1, bin, 1, eight, 0, NULL);
	m_execute(o3, "", 0);
	m_empty(o3, 'S');
	m_empty(i3, '2');
	m_complete(i3, "SELECT 0");
	m_ready(i3, 'I');
	m_named(o4, 'C', 'S', "s1");
	m_empty(o4, 'S');
	m_empty(i4, '3');
	m_ready(i4, 'I');
	m_bind(o5, "", "s1", 0, NULL, 1, nine, 0, NULL);
	m_execute(o5, "", 0);
	m_empty(o5, 'S');
	m_error(i5, 'E', "ERROR", "26000", "prepared statement \"s1\" does not exist",
		NULL, NULL);
	m_ready(i5, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2), SEG_OUT(5000, o3), SEG_IN(6000, i3),
			SEG_OUT(7000, o4), SEG_IN(8000, i4), SEG_OUT(9000, o5),
			SEG_IN(10000, i5),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":"
			"\"SELECT name FROM users WHERE id = $1\",\"params\":[\"7\"],"
			"\"statement\":\"s1\",\"columns\":[\"name\"],\"rows\":1,"
			"\"rows_sample\":[[\"ann\"]],\"command_tag\":\"SELECT 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"5000 6000 sql_query {\"db\":\"postgres\",\"sql\":"
			"\"SELECT name FROM users WHERE id = $1\",\"params\":[\"8\"],"
			"\"statement\":\"s1\",\"columns\":[\"name\"],\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":\"SELECT 0\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"9000 10000 sql_query {\"db\":\"postgres\",\"sql\":null,\"params\":[\"9\"],"
			"\"statement\":\"s1\",\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":null,\"error\":{\"code\":\"26000\",\"message\":"
			"\"prepared statement \\\"s1\\\" does not exist\",\"severity\":\"ERROR\"},"
			"\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* Several Executes before one Sync: one event each; the first starts at
 * the Parse and ends at its CommandComplete, the last ends at
 * ReadyForQuery. An error in a pipeline: the server skips to the Sync,
 * the Executes after the error make no event. */
static void test_pipeline(void **state)
{
	static const uint32_t int4[] = { 23 };
	static const struct val v1[] = { VS("1") }, v2[] = { VS("2") };
	struct mb *o1 = mb_new(), *o2 = mb_new(), *o3 = mb_new(), *i1 = mb_new();
	struct mb *i2 = mb_new(), *i3 = mb_new(), *o4 = mb_new(), *i4 = mb_new();

	(void)state;
	m_parse(o1, "", "INSERT INTO t VALUES ($1)", 1, int4);
	m_bind(o1, "", "", 0, NULL, 1, v1, 0, NULL);
	m_execute(o1, "", 0);
	m_bind(o2, "", "", 0, NULL, 1, v2, 0, NULL);
	m_execute(o2, "", 0);
	m_empty(o3, 'S');
	m_empty(i1, '1');
	m_empty(i1, '2');
	m_complete(i1, "INSERT 0 1");
	m_empty(i2, '2');
	m_complete(i2, "INSERT 0 1");
	m_ready(i3, 'I');
	m_bind(o4, "", "", 0, NULL, 1, v1, 0, NULL);
	m_execute(o4, "", 0);
	m_bind(o4, "", "", 0, NULL, 1, v2, 0, NULL);
	m_execute(o4, "", 0);
	m_empty(o4, 'S');
	m_empty(i4, '2');
	m_error(i4, 'E', "ERROR", "23505",
		"duplicate key value violates unique constraint \"t_pkey\"", NULL, NULL);
	m_ready(i4, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_OUT(1100, o2), SEG_OUT(1200, o3),
			SEG_IN(2000, i1), SEG_IN(2100, i2), SEG_IN(2200, i3),
			SEG_OUT(3000, o4), SEG_IN(4000, i4),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO t VALUES ($1)\","
			"\"params\":[\"1\"],\"statement\":null,\"columns\":null,\"rows\":1,"
			"\"rows_sample\":[],\"command_tag\":\"INSERT 0 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"1100 2200 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO t VALUES ($1)\","
			"\"params\":[\"2\"],\"statement\":null,\"columns\":null,\"rows\":1,"
			"\"rows_sample\":[],\"command_tag\":\"INSERT 0 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER "}\n"
			"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO t VALUES ($1)\","
			"\"params\":[\"1\"],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":{\"code\":\"23505\","
			"\"message\":\"duplicate key value violates unique constraint \\\"t_pkey\\\"\","
			"\"severity\":\"ERROR\"},\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* Execute with a row limit: PortalSuspended makes an event with
 * command_tag null and "suspended": true; the next Execute of the portal
 * starts at its own first byte. tx "in_tx" inside BEGIN. */
static void test_portal_suspended(void **state)
{
	static const char *const names[] = { "g" };
	static const uint32_t int4[] = { 23 };
	struct mb *o0 = mb_new(), *i0 = mb_new(), *o1 = mb_new(), *i1 = mb_new();
	struct mb *o2 = mb_new(), *i2 = mb_new(), *o3 = mb_new(), *i3 = mb_new();

	(void)state;
	m_query(o0, "BEGIN");
	m_complete(i0, "BEGIN");
	m_ready(i0, 'T');
	m_parse(o1, "", "SELECT g FROM generate_series(1, 5) g", 0, NULL);
	m_bind(o1, "c1", "", 0, NULL, 0, NULL, 0, NULL);
	m_named(o1, 'D', 'P', "c1");
	m_execute(o1, "c1", 2);
	m_empty(o1, 'S');
	m_empty(i1, '1');
	m_empty(i1, '2');
	m_rowdesc(i1, 1, names, int4, NULL);
	m_row1(i1, "1");
	m_row1(i1, "2");
	m_empty(i1, 's');
	m_ready(i1, 'T');
	m_execute(o2, "c1", 2);
	m_empty(o2, 'S');
	m_row1(i2, "3");
	m_row1(i2, "4");
	m_empty(i2, 's');
	m_ready(i2, 'T');
	m_execute(o3, "c1", 2);
	m_empty(o3, 'S');
	m_row1(i3, "5");
	m_complete(i3, "SELECT 1");
	m_ready(i3, 'T');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o0), SEG_IN(1500, i0), SEG_OUT(2000, o1),
			SEG_IN(3000, i1), SEG_OUT(4000, o2), SEG_IN(5000, i2),
			SEG_OUT(6000, o3), SEG_IN(7000, i3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

#define GEN "\"sql\":\"SELECT g FROM generate_series(1, 5) g\",\"params\":[]," \
	    "\"statement\":null,\"columns\":[\"g\"],"
		pd_check_fixture(&c,
			"1000 1500 sql_query {\"db\":\"postgres\",\"sql\":\"BEGIN\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":\"BEGIN\",\"error\":null,\"tx\":\"in_tx\"," NOUSER "}\n"
			"2000 3000 sql_query {\"db\":\"postgres\"," GEN "\"rows\":2,"
			"\"rows_sample\":[[\"1\"],[\"2\"]],\"command_tag\":null,\"error\":null,"
			"\"tx\":\"in_tx\"," NOUSER ",\"suspended\":true}\n"
			"4000 5000 sql_query {\"db\":\"postgres\"," GEN "\"rows\":2,"
			"\"rows_sample\":[[\"3\"],[\"4\"]],\"command_tag\":null,\"error\":null,"
			"\"tx\":\"in_tx\"," NOUSER ",\"suspended\":true}\n"
			"6000 7000 sql_query {\"db\":\"postgres\"," GEN "\"rows\":1,"
			"\"rows_sample\":[[\"5\"]],\"command_tag\":\"SELECT 1\",\"error\":null,"
			"\"tx\":\"in_tx\"," NOUSER "}\n");
#undef GEN
	}
	pool_free();
}

/* COPY FROM STDIN (the frontend's CopyData counted), COPY TO STDOUT (the
 * backend's), and a CopyFail: counted, never decoded; rows from the tag. */
static void test_copy(void **state)
{
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();
	struct mb *o3 = mb_new(), *i3 = mb_new(), *o4 = mb_new(), *o5 = mb_new();
	struct mb *i4 = mb_new(), *i5 = mb_new();

	(void)state;
	m_query(o1, "COPY t FROM STDIN");
	m_copy_resp(i1, 'G', 2);
	m_copy_data(o2, "1\tx\n");
	m_copy_data(o2, "2\ty\n");
	m_empty(o2, 'c');
	m_complete(i2, "COPY 2");
	m_ready(i2, 'I');
	m_query(o3, "COPY t TO STDOUT");
	m_copy_resp(i3, 'H', 2);
	m_copy_data(i3, "1\tx\n");
	m_copy_data(i3, "2\ty\n");
	m_copy_data(i3, "3\tz\n");
	m_empty(i3, 'c');
	m_complete(i3, "COPY 3");
	m_ready(i3, 'I');
	m_query(o4, "COPY t FROM STDIN");
	m_copy_resp(i4, 'G', 2);
	m_copy_data(o5, "x");
	m_copy_fail(o5, "aborted by user");
	m_error(i5, 'E', "ERROR", "57014", "COPY from stdin failed: aborted by user",
		NULL, NULL);
	m_ready(i5, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2), SEG_OUT(5000, o3), SEG_IN(6000, i3),
			SEG_OUT(7000, o4), SEG_IN(8000, i4), SEG_OUT(9000, o5),
			SEG_IN(10000, i5),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"COPY t FROM STDIN\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":2,"
			"\"rows_sample\":[],\"command_tag\":\"COPY 2\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER ",\"copy\":{\"direction\":\"in\",\"bytes\":8,"
			"\"messages\":2}}\n"
			"5000 6000 sql_query {\"db\":\"postgres\",\"sql\":\"COPY t TO STDOUT\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":3,"
			"\"rows_sample\":[],\"command_tag\":\"COPY 3\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER ",\"copy\":{\"direction\":\"out\",\"bytes\":12,"
			"\"messages\":3}}\n"
			"7000 10000 sql_query {\"db\":\"postgres\",\"sql\":\"COPY t FROM STDIN\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":{\"code\":\"57014\","
			"\"message\":\"COPY from stdin failed: aborted by user\","
			"\"severity\":\"ERROR\"},\"tx\":\"idle\"," NOUSER ",\"copy\":"
			"{\"direction\":\"in\",\"bytes\":1,\"messages\":1}}\n");
	}
	pool_free();
}

/* tx after each reply: idle, in_tx, failed, idle again. */
static void test_tx_states(void **state)
{
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();
	struct mb *o3 = mb_new(), *i3 = mb_new();

	(void)state;
	m_query(o1, "BEGIN");
	m_complete(i1, "BEGIN");
	m_ready(i1, 'T');
	m_query(o2, "SELECT x");
	m_error(i2, 'E', "ERROR", "42703", "column \"x\" does not exist", NULL, NULL);
	m_ready(i2, 'E');
	m_query(o3, "ROLLBACK");
	m_complete(i3, "ROLLBACK");
	m_ready(i3, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2), SEG_OUT(5000, o3), SEG_IN(6000, i3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"BEGIN\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":\"BEGIN\",\"error\":null,\"tx\":\"in_tx\"," NOUSER "}\n"
			"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT x\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":null,\"error\":{\"code\":\"42703\",\"message\":"
			"\"column \\\"x\\\" does not exist\",\"severity\":\"ERROR\"},"
			"\"tx\":\"failed\"," NOUSER "}\n"
			"5000 6000 sql_query {\"db\":\"postgres\",\"sql\":\"ROLLBACK\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":\"ROLLBACK\",\"error\":null,\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* NoticeResponse, NotificationResponse and ParameterStatus anywhere
 * (inside a result too, and alone between requests) change nothing. */
static void test_async_messages(void **state)
{
	struct mb *o1 = mb_new(), *i1 = mb_new(), *i2 = mb_new(), *o3 = mb_new();
	struct mb *i3 = mb_new();
	static const char *const names[] = { "?column?" };
	static const uint32_t oids[] = { 23 };

	(void)state;
	m_query(o1, "LISTEN ch");
	m_param_status(i1, "application_name", "x");
	m_error(i1, 'N', "NOTICE", "00000", "hello", NULL, NULL);
	m_complete(i1, "LISTEN");
	m_notify(i1, 77, "ch", "payload");
	m_ready(i1, 'I');
	m_notify(i2, 78, "ch", "late");
	m_query(o3, "SELECT 1");
	m_error(i3, 'N', "WARNING", "01000", "careful", NULL, NULL);
	m_rowdesc(i3, 1, names, oids, NULL);
	m_notify(i3, 79, "ch", "mid");
	m_row1(i3, "1");
	m_param_status(i3, "TimeZone", "UTC");
	m_complete(i3, "SELECT 1");
	m_ready(i3, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_IN(2500, i2),
			SEG_OUT(3000, o3), SEG_IN(4000, i3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"LISTEN ch\",\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
			"\"command_tag\":\"LISTEN\",\"error\":null,\"tx\":\"idle\"," NOUSER "}\n"
			"3000 4000 sql_query " EV_SELECT1(NOUSER));
	}
	pool_free();
}

/* Attached mid-session: a Bind to a statement whose Parse was never seen
 * (text value as is, binary without a known type as base64, sql null,
 * statement set), then an Execute whose Bind was not seen either. */
static void test_midsession_bind(void **state)
{
	static const uint16_t fmts[] = { 0, 1 };
	static const struct val v[] = { VS("abc"), VS("\x00\x00\x00\x05") };
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();

	(void)state;
	m_bind(o1, "", "s9", 2, fmts, 2, v, 0, NULL);
	m_execute(o1, "", 0);
	m_empty(o1, 'S');
	m_empty(i1, '2');
	m_row1(i1, "x");
	m_complete(i1, "SELECT 1");
	m_ready(i1, 'I');
	m_execute(o2, "p7", 0);
	m_empty(o2, 'S');
	m_row1(i2, "y");
	m_complete(i2, "FETCH 1");
	m_ready(i2, 'T');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":null,"
			"\"params\":[\"abc\",\"base64:AAAABQ==\"],\"statement\":\"s9\","
			"\"columns\":null,\"rows\":1,\"rows_sample\":[[\"x\"]],"
			"\"command_tag\":\"SELECT 1\",\"error\":null,\"tx\":\"idle\"," NOUSER "}\n"
			"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":null,\"params\":[],"
			"\"statement\":null,\"columns\":null,\"rows\":1,\"rows_sample\":[[\"y\"]],"
			"\"command_tag\":\"FETCH 1\",\"error\":null,\"tx\":\"in_tx\"," NOUSER "}\n");
	}
	pool_free();
}

/* A gap inside a sampled DataRow's value: the value is kept cut, the row
 * and the rows after it still count ("truncated", "incomplete"). A gap
 * inside an unsampled row only loses bytes that were counted anyway. */
static void test_gap_in_datarow(void **state)
{
	static const char *const names[] = { "data" };
	static const uint32_t text[] = { 25 };
	struct mb *o = mb_new(), *i1 = mb_new(), *i2 = mb_new();
	char v[101];

	(void)state;
	memset(v, 'a', 30);
	memset(v + 30, 'b', 50);
	memset(v + 80, 'c', 20);
	v[100] = '\0';
	m_query(o, "SELECT data FROM t");
	m_rowdesc(i1, 1, names, text, NULL);
	m_row1(i1, v);
	m_row1(i2, "x");
	m_row1(i2, v);
	m_complete(i2, "SELECT 3");
	m_ready(i2, 'I');
	{
		/* i1 = RowDescription, DataRow header (11 bytes), 100 bytes */
		size_t cut = i1->n - 70;
		struct pd_seg s[] = {
			SEG_OUT(1000, o),
			PD_INB(2000, i1->b, cut),
			PD_GAP_(ADI_DIR_IN, 50),
			PD_INB(3000, i1->b + cut + 50, 20),
			SEG_IN(4000, i2),
		};
		struct pd_case c = FIX(s, 4096, 1, false, false);
		/* only the first row is sampled; a gap in the third (unsampled) */
		struct pd_seg s2[] = {
			SEG_OUT(1000, o),
			SEG_IN(2000, i1),
			PD_INB(3000, i2->b, 20),
			PD_GAP_(ADI_DIR_IN, 50),
			PD_INB(4000, i2->b + 70, i2->n - 70),
		};
		struct pd_case c2 = FIX(s2, 4096, 1, false, false);

		assert_int_equal(cut + 70, i1->n);
		pd_check_fixture(&c,
			"1000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT data FROM t\","
			"\"params\":[],\"statement\":null,\"columns\":[\"data\"],\"rows\":3,"
			"\"rows_sample\":[[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]],"
			"\"command_tag\":\"SELECT 3\",\"error\":null,\"tx\":\"idle\"," NOUSER ","
			"\"truncated\":true,\"incomplete\":true}\n");
		c2.name = "test_gap_in_unsampled_row";
		/* through the engine only: pdrive (as of 7178b3d) does not end a
		 * message at SKIP as stream.c does, so the gap absorbed in the
		 * skipped row marks the next FRAME incomplete there */
		check_engine(&c2,
			"1000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT data FROM t\","
			"\"params\":[],\"statement\":null,\"columns\":[\"data\"],\"rows\":3,"
			"\"rows_sample\":[[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbb"
			"bbbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccccccc\"]],"
			"\"command_tag\":\"SELECT 3\",\"error\":null,\"tx\":\"idle\"," NOUSER "}\n");
	}
	pool_free();
}

/* Garbage before a message: BAD, then resync finds the Query; a gap
 * between backend messages loses the framing: resync finds the next
 * plausible message (the CommandComplete, confirmed by the
 * ReadyForQuery after it). */
static void test_garbage_resync(void **state)
{
	struct mb *o = mb_new(), *i1 = mb_new(), *i2 = mb_new(), *o2 = mb_new();
	struct mb *i3 = mb_new();

	(void)state;
	put(o, "\x01\x02garbage!", 10);
	m_query(o, "SELECT 1");
	answer_select1(i1);
	m_query(o2, "SELECT 2");
	m_row1(i2, "2");
	m_row1(i3, "2");
	m_complete(i3, "SELECT 2");
	m_ready(i3, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2), PD_GAP_(ADI_DIR_IN, 33), PD_IN(5000, "zz"),
			SEG_IN(6000, i3),
		};
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c, "1000 2000 sql_query " EV_SELECT1(NOUSER)
			"3000 6000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT 2\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":2,"
			"\"rows_sample\":[[\"2\"],[\"2\"]],\"command_tag\":\"SELECT 2\","
			"\"error\":null,\"tx\":\"idle\"," NOUSER ",\"incomplete\":true}\n"
			"# skipped out=10 in=2 done out=0 in=0\n");
	}
	pool_free();
}

/* Run a big fixture the ways that stay linear in its size (pd_check also
 * splits it at every offset): whole, 1-byte, 3-byte and random pieces,
 * halves, and through the engine. */
static void check_big(const struct pd_case *c, const char *expect)
{
	static const enum pd_mode modes[] = { PD_WHOLE, PD_BYTES, PD_THREES,
					      PD_HALVES, PD_RANDOM };
	char *got;

	for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		got = pd_run(c, modes[i], 7);
		if (strcmp(got, expect))
			fprintf(stderr, "mode %d:\n%s\nexpected:\n%s\n", (int)modes[i], got, expect);
		assert_string_equal(got, expect);
		free(got);
	}
	check_engine(c, expect);
}

#define A10 "aaaaaaaaaa"

/* 1 MiB DataRow, Bind parameter and CopyData: consumed in pieces (the
 * driver checks no call asks for more than ADI_PROTO_LOOKAHEAD), values cut
 * to --body-bytes. */
static void test_huge_messages(void **state)
{
	static const char *const names[] = { "big" };
	static const uint32_t text[] = { 25 }, bytea[] = { 17 };
	static const uint16_t bin[] = { 1 };
	const size_t big = 1 << 20;
	char *v = malloc(big + 1);
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();
	struct mb *o3 = mb_new(), *i3 = mb_new(), *o4 = mb_new(), *i4 = mb_new();
	struct val bv;

	(void)state;
	assert_non_null(v);
	memset(v, 'a', big);
	v[big] = '\0';
	v[0] = 'b';
	m_query(o1, "SELECT big FROM t");
	m_rowdesc(i1, 1, names, text, NULL);
	m_row1(i1, v);
	m_complete(i1, "SELECT 1");
	m_ready(i1, 'I');
	bv.p = v;
	bv.len = (int32_t)big;
	m_parse(o2, "", "INSERT INTO b VALUES ($1)", 1, bytea);
	m_bind(o2, "", "", 1, bin, 1, &bv, 0, NULL);
	m_execute(o2, "", 0);
	m_empty(o2, 'S');
	m_empty(i2, '1');
	m_empty(i2, '2');
	m_complete(i2, "INSERT 0 1");
	m_ready(i2, 'I');
	m_query(o3, "COPY b FROM STDIN");
	m_copy_resp(i3, 'G', 1);
	m_copy_data(o4, v);
	m_empty(o4, 'c');
	m_complete(i4, "COPY 1");
	m_ready(i4, 'I');
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2), SEG_OUT(5000, o3), SEG_IN(6000, i3),
			SEG_OUT(7000, o4), SEG_IN(8000, i4),
		};
		struct pd_case c = FIX(s, 64, 5, false, false);

		check_big(&c,
			"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT big FROM t\","
			"\"params\":[],\"statement\":null,\"columns\":[\"big\"],\"rows\":1,"
			"\"rows_sample\":[[\"b" A10 A10 A10 A10 A10 A10 "aaa\"]],\"command_tag\":\"SELECT 1\",\"error\":null,\"tx\":\"idle\","
			NOUSER ",\"truncated\":true}\n"
			"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"INSERT INTO b VALUES ($1)\","
			"\"params\":[\"\\\\x62616161616161616161616161616161616161616161616161616161"
			"616161\"],\"statement\":null,\"columns\":null,\"rows\":1,"
			"\"rows_sample\":[],\"command_tag\":\"INSERT 0 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER ",\"truncated\":true}\n"
			"5000 8000 sql_query {\"db\":\"postgres\",\"sql\":\"COPY b FROM STDIN\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":1,"
			"\"rows_sample\":[],\"command_tag\":\"COPY 1\",\"error\":null,"
			"\"tx\":\"idle\"," NOUSER ",\"copy\":{\"direction\":\"in\","
			"\"bytes\":1048576,\"messages\":1}}\n");
	}
	free(v);
	pool_free();
}

/* The traced task is the server: the frontend's bytes come IN. */
static void test_server_side(void **state)
{
	static const char *const kv[] = { "user", "erin", "database", "app", NULL };
	struct mb *s1 = mb_new(), *r1 = mb_new(), *s2 = mb_new(), *r2 = mb_new();

	(void)state;
	m_startup(s1, kv);
	m_auth(r1, 0, NULL, 0);
	m_key_data(r1, 1, 2);
	m_ready(r1, 'I');
	m_query(s2, "SELECT 1");
	answer_select1(r2);
	{
		struct pd_seg s[] = {
			SEG_IN(1000, s1), SEG_OUT(2000, r1), SEG_IN(3000, s2),
			SEG_OUT(4000, r2),
		};
		struct pd_case c = FIX(s, 4096, 5, false, true);

		pd_check_fixture(&c, "3000 4000 sql_query "
			      EV_SELECT1("\"database\":\"app\",\"user\":\"erin\""));
	}
	pool_free();
}

/* Requests without a reply when the connection ends: events without an
 * end (ts_end -1: duration null), tx null. */
static void test_unanswered(void **state)
{
	static const struct val v[] = { VS("5") };
	struct mb *o1 = mb_new(), *o2 = mb_new();

	(void)state;
	m_query(o1, "SELECT pg_sleep(10)");
	m_parse(o2, "", "SELECT $1", 0, NULL);
	m_bind(o2, "", "", 0, NULL, 1, v, 0, NULL);
	m_execute(o2, "", 0);
	m_empty(o2, 'S');
	{
		struct pd_seg s[] = { SEG_OUT(1000, o1), SEG_OUT(2000, o2) };
		struct pd_case c = FIX(s, 4096, 5, false, false);

		pd_check_fixture(&c,
			"1000 -1 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT pg_sleep(10)\","
			"\"params\":[],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":null,\"tx\":null,"
			NOUSER ",\"incomplete\":true}\n"
			"2000 -1 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT $1\","
			"\"params\":[\"5\"],\"statement\":null,\"columns\":null,\"rows\":0,"
			"\"rows_sample\":[],\"command_tag\":null,\"error\":null,\"tx\":null,"
			NOUSER ",\"incomplete\":true}\n");
	}
	pool_free();
}

/* Cuts: values to --body-bytes (7 here) on a UTF-8 boundary, sql whole up
 * to 64 KiB and then cut with "truncated". */
static void test_truncation(void **state)
{
	static const uint32_t oids[] = { 25, 25, 25, 25 };
	static const uint16_t fmts[] = { 0, 0, 0, 1 };
	static char longtext[2000];
	struct val v[] = {
		VS("abcdefghij"), VS("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), VS("short"),
		{ longtext, (int32_t)sizeof(longtext) }, /* binary text, longer than kept */
	};
	const size_t n = 70000;
	char *sql = malloc(n + 1), *expect;
	struct mb *o1 = mb_new(), *i1 = mb_new(), *o2 = mb_new(), *i2 = mb_new();
	size_t k;

	(void)state;
	assert_non_null(sql);
	memcpy(sql, "SELECT '", 8);
	memset(sql + 8, 'x', n - 9);
	sql[n - 1] = '\'';
	sql[n] = '\0';
	memset(longtext, 'x', sizeof(longtext));
	m_parse(o1, "", "SELECT $1, $2, $3, $4", 4, oids);
	m_bind(o1, "", "", 4, fmts, 4, v, 0, NULL);
	m_execute(o1, "", 0);
	m_empty(o1, 'S');
	m_empty(i1, '1');
	m_empty(i1, '2');
	m_complete(i1, "SELECT 0");
	m_ready(i1, 'I');
	m_query(o2, sql);
	m_complete(i2, "SELECT 0");
	m_ready(i2, 'I');
	expect = malloc(n + 4096);
	assert_non_null(expect);
	k = (size_t)sprintf(expect,
		"1000 2000 sql_query {\"db\":\"postgres\",\"sql\":\"SELECT $1, $2, $3, $4\","
		"\"params\":[\"abcdefg\",\"\xc3\xa9\xc3\xa9\xc3\xa9\",\"short\",\"xxxxxxx\"],"
		"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
		"\"command_tag\":\"SELECT 0\",\"error\":null,\"tx\":\"idle\"," NOUSER ","
		"\"truncated\":true}\n"
		"3000 4000 sql_query {\"db\":\"postgres\",\"sql\":\"");
	memcpy(expect + k, sql, 65536);
	k += 65536;
	sprintf(expect + k, "\",\"params\":[],\"statement\":null,\"columns\":null,"
		"\"rows\":0,\"rows_sample\":[],\"command_tag\":\"SELECT 0\",\"error\":null,"
		"\"tx\":\"idle\"," NOUSER ",\"truncated\":true}\n");
	{
		struct pd_seg s[] = {
			SEG_OUT(1000, o1), SEG_IN(2000, i1), SEG_OUT(3000, o2),
			SEG_IN(4000, i2),
		};
		struct pd_case c = FIX(s, 7, 5, false, false);

		check_big(&c, expect);
	}
	free(expect);
	free(sql);
	pool_free();
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	int dir, server;
	uint16_t port;
	int expect;
};

#define SN(w, s, d, srv, e) { (w), (s), sizeof(s) - 1, (d), (srv), 0, (e) }
#define SNP(w, s, d, srv, port, e) { (w), (s), sizeof(s) - 1, (d), (srv), (port), (e) }

#define STARTUP "\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00" \
		"database\x00postgres\x00\x00"

static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("StartupMessage, client writes", STARTUP, ADI_DIR_OUT, 0, 95),
		SN("StartupMessage read by the server", STARTUP, ADI_DIR_IN, 1, 95),
		SN("StartupMessage in the odd direction", STARTUP, ADI_DIR_IN, 0, 70),
		SNP("StartupMessage, port 5432", STARTUP, ADI_DIR_OUT, 0, 5432, 100),
		SN("StartupMessage cut short", "\x00\x00\x00\x29\x00\x03\x00\x00us",
		   ADI_DIR_OUT, 0, 95),
		SN("StartupMessage 3.2", "\x00\x00\x00\x0d\x00\x03\x00\x02u\x00v\x00\x00",
		   ADI_DIR_OUT, 0, 95),
		SN("length prefix", "\x00\x00\x00", ADI_DIR_OUT, 0, -1),
		SN("SSLRequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f", ADI_DIR_OUT, 0, 95),
		SN("GSSENCRequest", "\x00\x00\x00\x08\x04\xd2\x16\x30", ADI_DIR_OUT, 0, 95),
		SN("CancelRequest", "\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x10\x92\xde\xad\xbe\xef",
		   ADI_DIR_OUT, 0, 90),
		SN("protocol 2.0 startup", "\x00\x00\x01\x28\x00\x02\x00\x00", ADI_DIR_OUT, 0, 0),
		SN("AuthenticationOk", "R\x00\x00\x00\x08\x00\x00\x00\x00", ADI_DIR_IN, 0, 85),
		SN("AuthenticationOk + ParameterStatus",
		   "R\x00\x00\x00\x08\x00\x00\x00\x00S\x00\x00\x00\x16" "application_name\x00\x00",
		   ADI_DIR_IN, 0, 95),
		SN("AuthenticationMD5Password", "R\x00\x00\x00\x0c\x00\x00\x00\x05\x01\x02\x03\x04",
		   ADI_DIR_IN, 0, 85),
		SN("AuthenticationSASL",
		   "R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00", ADI_DIR_IN, 0, 85),
		SN("Authentication, bad code", "R\x00\x00\x00\x08\x00\x00\x00\x04", ADI_DIR_IN, 0, 0),
		SN("ErrorResponse to a startup",
		   "E\x00\x00\x00\x1aSFATAL\x00" "C28000\x00Mno\x00\x00", ADI_DIR_IN, 0, 70),
		SN("SSL answer 'N'", "N", ADI_DIR_IN, 0, 30),
		SN("SSL answer 'S'", "S", ADI_DIR_IN, 0, 30),
		SN("mid-session Query", "Q\x00\x00\x00\x0dSELECT 1\x00", ADI_DIR_OUT, 0, 75),
		SN("mid-session Query cut short", "Q\x00\x00\x01\x00SELECT * FROM", ADI_DIR_OUT, 0, 65),
		SN("mid-session Query + Query",
		   "Q\x00\x00\x00\x0dSELECT 1\x00Q\x00\x00\x00\x0dSELECT 2\x00", ADI_DIR_OUT, 0, 85),
		SN("mid-session Parse",
		   "P\x00\x00\x00\x17s1\x00SELECT $1\x00\x00\x01\x00\x00\x00\x17", ADI_DIR_OUT, 0, 70),
		SN("mid-session Bind", "B\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00",
		   ADI_DIR_OUT, 0, 50),
		SN("one type byte", "Q", ADI_DIR_OUT, 0, -1),
		SN("HTTP request", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ADI_DIR_OUT, 0, 0),
		SN("HTTP POST", "POST /x HTTP/1.1\r\n", ADI_DIR_OUT, 0, 0),
		SN("HTTP response", "HTTP/1.1 200 OK\r\n", ADI_DIR_IN, 0, 0),
		SN("HTTP DELETE", "DELETE /x HTTP/1.1\r\n", ADI_DIR_OUT, 0, 0),
		SN("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, 0, 0),
		SN("TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, 0, 0),
		SN("Redis command", "*1\r\n$4\r\nPING\r\n", ADI_DIR_OUT, 0, 0),
		SN("Redis reply", "+OK\r\n", ADI_DIR_IN, 0, 0),
		SN("MySQL greeting",
		   "\x4a\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MySQL greeting, length 'R'",
		   "\x52\x00\x00\x00\x0a" "5.7.44-log\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MySQL greeting, length 'E'",
		   "\x45\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MySQL greeting, length 'T'",
		   "\x54\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MySQL greeting, length 'Q'",
		   "\x51\x00\x00\x00\x0a" "8.0.1\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 50),
		SN("MySQL greeting, length 'S'",
		   "\x53\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MongoDB OP_MSG",
		   "\x3a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00", ADI_DIR_OUT, 0, 0),
		SN("SSH banner", "SSH-2.0-OpenSSH_9.6\r\n", ADI_DIR_IN, 0, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *c = &cases[i];
		struct adi_sniff_ctx ctx = { .dir = (enum adi_dir)c->dir,
					     .server_side = c->server,
					     .remote_port = c->port };
		uint8_t *b = malloc(c->n ? c->n : 1);
		int got;

		assert_non_null(b);
		memcpy(b, c->b, c->n);
		got = adi_proto_postgres.sniff(b, c->n, &ctx);
		free(b);
		if (got != c->expect)
			print_error("sniff: %s: %d, expected %d\n", c->what, got, c->expect);
		assert_int_equal(got, c->expect);
	}
}

/* The registry knows the decoder and picks it for PostgreSQL only. */
static void test_registry(void **state)
{
	struct adi_sniff_ctx ctx = { .dir = ADI_DIR_OUT };
	int more = 0;

	(void)state;
	assert_ptr_equal(adi_proto_find("postgres"), &adi_proto_postgres);
	assert_ptr_equal(adi_proto_classify((const uint8_t *)STARTUP, sizeof(STARTUP) - 1,
					    &ctx, &more), &adi_proto_postgres);
	assert_ptr_not_equal(adi_proto_classify((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
						&ctx, &more), &adi_proto_postgres);
	assert_null(adi_proto_classify((const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6,
				       &ctx, &more));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_md5),
		cmocka_unit_test(test_startup_md5_show_secrets),
		cmocka_unit_test(test_startup_scram),
		cmocka_unit_test(test_ssl_refused),
		cmocka_unit_test(test_ssl_accepted),
		cmocka_unit_test(test_gssenc_refused),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_startup_refused),
		cmocka_unit_test(test_simple_multi),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_extended_binary),
		cmocka_unit_test(test_named_reuse),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_portal_suspended),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_tx_states),
		cmocka_unit_test(test_async_messages),
		cmocka_unit_test(test_midsession_bind),
		cmocka_unit_test(test_gap_in_datarow),
		cmocka_unit_test(test_garbage_resync),
		cmocka_unit_test(test_huge_messages),
		cmocka_unit_test(test_server_side),
		cmocka_unit_test(test_unanswered),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
