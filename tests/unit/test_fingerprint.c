/* test_fingerprint.c - unit tests of src/insight's fingerprints on tricky
 * inputs: SQL (quoted '?', dollar quotes, comments, signs, IN lists, batch
 * rows, casts, dialects), the tables a statement names, route templates,
 * Redis key patterns and commands, MongoDB filter shapes. Every expected
 * string is written by hand from docs/insight.md's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "insight/fingerprint.h"

static void expect_sql_at(enum adi_sql_dialect d, const char *sql, const char *want,
			  const char *file, int line)
{
	struct adi_sb b = { 0 };

	adi_fp_sql(sql, strlen(sql), d, &b, NULL);
	if (!b.p || strcmp(b.p, want)) {
		print_error("%s:%d: fingerprint of\n  %s\nis\n  %s\nwant\n  %s\n", file, line, sql,
			    b.p ? b.p : "(nothing)", want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define PG(sql, want) expect_sql_at(ADI_SQL_POSTGRES, sql, want, __FILE__, __LINE__)
#define MY(sql, want) expect_sql_at(ADI_SQL_MYSQL, sql, want, __FILE__, __LINE__)

static uint64_t consts_of(const char *sql)
{
	struct adi_sb b = { 0 };
	uint64_t h = 0;

	adi_fp_sql(sql, strlen(sql), ADI_SQL_POSTGRES, &b, &h);
	adi_sb_fini(&b);
	return h;
}

static void test_sql_constants_and_spacing(void **state)
{
	(void)state;
	PG("SELECT * FROM users WHERE id = 42", "SELECT * FROM users WHERE id = ?");
	PG("select *  from users\n where id=$1", "SELECT * FROM users WHERE id = ?");
	PG("SELECT\ta,\n  b\nFROM   t", "SELECT a, b FROM t");
	PG("select a,b from t", "SELECT a, b FROM t");
	PG("SELECT 1;;", "SELECT ?");
	PG("SELECT count(*), COUNT( * ) FROM t", "SELECT COUNT(*), COUNT(*) FROM t");
	PG("SELECT t.a, t.* FROM s.t", "SELECT t.a, t.* FROM s.t");
	PG("SELECT \"Col\" FROM \"T\" WHERE \"x y\" = 'z'",
	   "SELECT \"Col\" FROM \"T\" WHERE \"x y\" = ?");
	PG("SELECT 1.5, .5, 1e10, 2.5E-3, 0x1F, 1_000", "SELECT ?, ?, ?, ?, ?, ?");
}

static void test_sql_quotes_and_comments(void **state)
{
	(void)state;
	/* a '?' inside a string is part of the constant, not a placeholder */
	MY("SELECT 'what?' AS q, a FROM t WHERE b = ?", "SELECT ? AS q, a FROM t WHERE b = ?");
	PG("SELECT 'it''s', E'it\\'s', N'x', B'101', X'ff', U&'d\\0061t' FROM t",
	   "SELECT ?, ?, ?, ?, ?, ? FROM t");
	/* dollar quotes, with and without a tag, holding what looks like SQL */
	PG("SELECT $$it's $1 here$$, $tag$x $$ y$tag$ FROM t WHERE a = $2",
	   "SELECT ?, ? FROM t WHERE a = ?");
	PG("/* app:web */ SELECT a -- trailing\nFROM t /* nested /* inner */ still */ WHERE a = 1;",
	   "SELECT a FROM t WHERE a = ?");
	/* MySQL: "..." is a string, `...` a name, backslash escapes, # comments */
	MY("SELECT \"str\", `col` FROM `t` WHERE x = 'a\\'b' # comment",
	   "SELECT ?, `col` FROM `t` WHERE x = ?");
	/* PostgreSQL: a backslash in a standard string is a character */
	PG("SELECT 'a\\' FROM t WHERE b = 'c'", "SELECT ? FROM t WHERE b = ?");
	/* an unterminated string runs to the end */
	PG("SELECT 'oops FROM t", "SELECT ?");
}

static void test_sql_signs(void **state)
{
	(void)state;
	PG("SELECT -1, a - 1, a-1, b = -2.5e3, f(-3), x =-4, y - -5",
	   "SELECT ?, a - ?, a - ?, b = ?, f(?), x = ?, y - ?");
	PG("SELECT a FROM t LIMIT 10 OFFSET 20", "SELECT a FROM t LIMIT ? OFFSET ?");
	PG("SELECT (a)-1, b[1]-2, +3", "SELECT (a) - ?, b[?] - ?, ?");
}

static void test_sql_lists(void **state)
{
	(void)state;
	PG("SELECT * FROM t WHERE id IN (1, 2, 3) AND b IN ($1) AND c NOT IN ('a','b') "
	   "AND d IN (SELECT x FROM y)",
	   "SELECT * FROM t WHERE id IN (...) AND b IN (...) AND c NOT IN (...) "
	   "AND d IN (SELECT x FROM y)");
	PG("SELECT * FROM t WHERE id = ANY($1) OR id = ANY(ARRAY[1, 2])",
	   "SELECT * FROM t WHERE id = ANY (...) OR id = ANY (ARRAY[...])");
	PG("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (-3, NULL) RETURNING id",
	   "INSERT INTO t(a, b) VALUES (?, ?), ... RETURNING id");
	PG("INSERT INTO t(a,b) VALUES ($1,$2)", "INSERT INTO t(a, b) VALUES (?, ?)");
	/* rows that differ in shape are not one batch */
	PG("INSERT INTO t VALUES (1, 2), (3, now())", "INSERT INTO t VALUES (?, ?), (?, NOW())");
	PG("SELECT '1'::int, ARRAY[1,2]::bigint[], now()",
	   "SELECT ?::int, ARRAY[...]::bigint[], NOW()");
}

static void test_sql_keywords_as_constants(void **state)
{
	(void)state;
	PG("UPDATE t SET a = NULL, b = TRUE WHERE c IS NULL AND d IS NOT TRUE AND e = false",
	   "UPDATE t SET a = ?, b = ? WHERE c IS NULL AND d IS NOT TRUE AND e = ?");
	PG("CREATE TABLE x (a int NOT NULL DEFAULT 0)",
	   "CREATE TABLE x(a int NOT NULL DEFAULT ?)");
}

static void test_sql_consts_hash(void **state)
{
	(void)state;
	assert_true(consts_of("SELECT * FROM t WHERE id = 1") ==
		    consts_of("select * from t where id=1"));
	assert_true(consts_of("SELECT * FROM t WHERE id = 1") !=
		    consts_of("SELECT * FROM t WHERE id = 2"));
	assert_true(consts_of("SELECT * FROM t WHERE a = 1 AND b = 23") !=
		    consts_of("SELECT * FROM t WHERE a = 12 AND b = 3"));
	assert_true(consts_of("SELECT -1") != consts_of("SELECT 1"));
}

struct tabs {
	char got[512];
};

static void on_table(void *arg, const char *verb, const char *t, size_t tn)
{
	struct tabs *x = arg;
	size_t l = strlen(x->got);

	snprintf(x->got + l, sizeof(x->got) - l, "%s%s %.*s", l ? "; " : "", verb, (int)tn, t);
}

static void expect_tables_at(const char *sql, const char *verb, const char *want,
			     const char *file, int line)
{
	struct adi_sb b = { 0 };
	struct tabs x = { "" };
	const char *v;

	adi_fp_sql(sql, strlen(sql), ADI_SQL_POSTGRES, &b, NULL);
	v = adi_sql_tables(b.p, b.len, on_table, &x);
	if (strcmp(v, verb) || strcmp(x.got, want)) {
		print_error("%s:%d: %s\n  verb %s tables \"%s\", want %s \"%s\"\n", file, line, sql, v,
			    x.got, verb, want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define TABLES(sql, verb, want) expect_tables_at(sql, verb, want, __FILE__, __LINE__)

static void test_sql_tables(void **state)
{
	(void)state;
	TABLES("SELECT b.title FROM books b JOIN authors a ON a.id = b.author_id WHERE a.id = 1",
	       "SELECT", "SELECT books; SELECT authors");
	TABLES("select * from a, b as bb, public.c where a.x = 1", "SELECT",
	       "SELECT a; SELECT b; SELECT public.c");
	TABLES("WITH x AS (SELECT * FROM t1) INSERT INTO t2 SELECT * FROM x", "INSERT",
	       "INSERT t1; INSERT t2");
	TABLES("CREATE TABLE IF NOT EXISTS public.items (id int)", "DDL", "DDL public.items");
	TABLES("DELETE FROM sessions WHERE ts < now()", "DELETE", "DELETE sessions");
	TABLES("UPDATE t SET a = 1 FROM u WHERE t.id = u.id", "UPDATE", "UPDATE t; UPDATE u");
	TABLES("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2", "INSERT",
	       "INSERT t");
	TABLES("SELECT * FROM generate_series(1, 10) g, (SELECT 1) s", "SELECT", "");
	TABLES("BEGIN", "BEGIN", "");
	TABLES("TRUNCATE TABLE logs", "DDL", "DDL logs");
}

static void expect_hint_at(const char *fp, const char *want, const char *file, int line)
{
	struct adi_sb b = { 0 };
	bool ok = adi_sql_batch_hint(fp, strlen(fp), &b);

	if (want ? !ok || strcmp(b.p, want) : ok) {
		print_error("%s:%d: hint for %s is %s, want %s\n", file, line, fp,
			    ok ? b.p : "(none)", want ? want : "(none)");
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define HINT(fp, want) expect_hint_at(fp, want, __FILE__, __LINE__)

static void test_sql_batch_hint(void **state)
{
	(void)state;
	HINT("SELECT title FROM books WHERE id = ?", "WHERE id IN (...)");
	HINT("SELECT * FROM books b WHERE b.author_id = ? ORDER BY b.id",
	     "WHERE b.author_id IN (...)");
	HINT("SELECT * FROM t WHERE a = ? AND b = ?", NULL);
	HINT("UPDATE t SET a = ? WHERE id = ?", NULL);
	HINT("SELECT * FROM t WHERE a > ?", NULL);
}

static void expect_route_at(const char *url, const char *want, const char *file, int line)
{
	struct adi_sb b = { 0 };

	adi_fp_route(url, strlen(url), &b);
	if (strcmp(b.p, want)) {
		print_error("%s:%d: route of %s is %s, want %s\n", file, line, url, b.p, want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define ROUTE(url, want) expect_route_at(url, want, __FILE__, __LINE__)

static void test_routes(void **state)
{
	(void)state;
	ROUTE("/users/42", "/users/:id");
	ROUTE("/users/42/posts/550e8400-E29B-41d4-a716-446655440000?x=1#f",
	      "/users/:id/posts/:id");
	ROUTE("/files/5f2b6c1e9a3d4e7f8a9b0c1d.json", "/files/:id.json");
	ROUTE("/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", "/commit/:id");
	ROUTE("/v1/deadbeef", "/v1/deadbeef");        /* hex, but no digit: a word */
	ROUTE("/v2/abc123", "/v2/abc123");            /* too short for a hash */
	ROUTE("/2024/posts", "/:id/posts");
	ROUTE("/users/me", "/users/me");
	ROUTE("/a.b.c/7.tar.gz", "/a.b.c/7.tar.gz");  /* stem 7.tar is no id */
	ROUTE("http://example.com:8080/a/7", "/a/:id");
	ROUTE("http://example.com", "/");
	ROUTE("", "/");
	ROUTE("/", "/");
	ROUTE("/a//b/", "/a//b/");
	ROUTE("/search?q=42", "/search");
	ROUTE("*", "*");
}

static void expect_key_at(const char *key, const char *want, const char *file, int line)
{
	struct adi_sb b = { 0 };

	adi_fp_key_pattern(key, strlen(key), &b);
	if (strcmp(b.p ? b.p : "", want)) {
		print_error("%s:%d: pattern of %s is %s, want %s\n", file, line, key, b.p, want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define KEY(k, want) expect_key_at(k, want, __FILE__, __LINE__)

static void test_key_patterns(void **state)
{
	(void)state;
	KEY("user:42", "user:*");
	KEY("session:550e8400-e29b-41d4-a716-446655440000", "session:*");
	KEY("cache:user_42:profile", "cache:user_*:profile");
	KEY("stats:2024-01-31", "stats:*");
	KEY("rate.limit.10.0.0.1", "rate.limit.*.*.*.*");
	KEY("plain", "plain");
	KEY("queue", "queue");
	KEY("a:b-c_d", "a:b-c_d");
	KEY("", "");
}

static void expect_redis_at(const char *cmd, const char *const *args, size_t n,
			    const char *want, const char *file, int line)
{
	struct adi_slice a[8];
	struct adi_sb b = { 0 };

	for (size_t i = 0; i < n; i++)
		a[i] = (struct adi_slice){ args[i], strlen(args[i]) };
	adi_fp_redis(cmd, a, n, &b, NULL);
	if (strcmp(b.p, want)) {
		print_error("%s:%d: %s is %s, want %s\n", file, line, cmd, b.p, want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define REDIS(cmd, want, ...) \
	expect_redis_at(cmd, (const char *const[]){ __VA_ARGS__ }, \
			sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *), want, \
			__FILE__, __LINE__)

static void test_redis(void **state)
{
	struct adi_slice k1 = { "user:1", 6 }, k2 = { "user:2", 6 };
	struct adi_sb b = { 0 };
	uint64_t h1, h2;

	(void)state;
	REDIS("GET", "GET user:*", "user:42");
	REDIS("MGET", "MGET user:* session:*", "user:1", "user:2", "session:9");
	REDIS("SET", "SET k:*", "k:1", "value 1");
	REDIS("MSET", "MSET a:* b:*", "a:1", "x", "b:2", "y");
	REDIS("DEL", "DEL a:* b:* c:* ...", "a:1", "b:1", "c:1", "d:1");
	REDIS("EVALSHA", "EVALSHA abc k:*", "abc", "2", "k:1", "k:2", "arg:3");
	REDIS("BLPOP", "BLPOP q:*", "q:1", "q:2", "0");
	REDIS("CLIENT SETNAME", "CLIENT SETNAME", "x");
	REDIS("PUBLISH", "PUBLISH", "chan", "msg");
	REDIS("hget", "hget h:*", "h:1", "field");
	adi_fp_redis("PING", NULL, 0, &b, NULL);
	assert_string_equal(b.p, "PING");
	adi_sb_reset(&b);
	adi_fp_redis("GET", &k1, 1, &b, &h1);
	adi_sb_reset(&b);
	adi_fp_redis("GET", &k2, 1, &b, &h2);
	assert_true(h1 != h2);
	adi_sb_fini(&b);
}

static void expect_mongo_at(const char *op, const char *db, const char *coll, const char *cmd,
			    const char *want, const char *file, int line)
{
	struct adi_sb b = { 0 };

	adi_fp_mongo(op, db, coll, cmd, cmd ? strlen(cmd) : 0, &b, NULL);
	if (strcmp(b.p, want)) {
		print_error("%s:%d: %s\n  is %s\nwant %s\n", file, line, cmd, b.p, want);
		_fail(file, line);
	}
	adi_sb_fini(&b);
}
#define MONGO(op, db, coll, cmd, want) expect_mongo_at(op, db, coll, cmd, want, __FILE__, __LINE__)

static void test_mongo(void **state)
{
	uint64_t h1, h2;
	struct adi_sb b = { 0 };
	const char *c1 = "{\"find\":\"u\",\"filter\":{\"a\":1}}";
	const char *c2 = "{\"find\":\"u\",\"filter\":{\"a\":2}}";

	(void)state;
	MONGO("find", "test", "users",
	      "{\"find\":\"users\",\"filter\":{\"age\":{\"$gt\":30},\"name\":\"bob\"},\"$db\":\"test\"}",
	      "find test.users {age: {$gt: ?}, name: ?}");
	MONGO("find", "test", "users",
	      "{\"find\":\"users\",\"filter\":{\"_id\":{\"$oid\":\"5f2b6c1e9a3d4e7f8a9b0c1d\"}}}",
	      "find test.users {_id: ?}");
	MONGO("find", "test", "u",
	      "{\"find\":\"u\",\"filter\":{\"status\":{\"$in\":[1,2,3]},"
	      "\"$or\":[{\"a\":1},{\"b\":{\"$exists\":true}}],\"tags\":[\"x\"]}}",
	      "find test.u {status: {$in: [...]}, $or: [{a: ?}, {b: {$exists: ?}}], tags: [...]}");
	MONGO("aggregate", "test", "orders",
	      "{\"aggregate\":\"orders\",\"pipeline\":[{\"$match\":{\"status\":\"A\"}},"
	      "{\"$group\":{\"_id\":\"$cust\",\"total\":{\"$sum\":\"$amount\"}}}],\"cursor\":{}}",
	      "aggregate test.orders [$match {status: ?}, $group]");
	MONGO("delete", "test", "users",
	      "{\"delete\":\"users\",\"deletes\":[{\"q\":{\"_id\":5},\"limit\":1}]}",
	      "delete test.users {_id: ?}");
	MONGO("update", "test", "users",
	      "{\"update\":\"users\",\"updates\":[{\"q\":{\"n\":\"x\"},\"u\":{\"$set\":{\"a\":1}}}]}",
	      "update test.users {n: ?}");
	MONGO("insert", "test", "users", "{\"insert\":\"users\",\"documents\":[{\"a\":1}]}",
	      "insert test.users");
	MONGO("ping", "admin", NULL, "{\"ping\":1}", "ping admin");
	MONGO("query", "test", "c", "{\"$query\":{\"x\":1},\"$orderby\":{\"x\":1}}",
	      "query test.c {x: ?}");
	MONGO("find", "test", "u", "not json", "find test.u");
	adi_fp_mongo("find", "t", "u", c1, strlen(c1), &b, &h1);
	adi_sb_reset(&b);
	adi_fp_mongo("find", "t", "u", c2, strlen(c2), &b, &h2);
	assert_true(h1 != h2);
	adi_sb_fini(&b);
}

static void test_is_id(void **state)
{
	(void)state;
	assert_true(adi_fp_is_id("0", 1));
	assert_true(adi_fp_is_id("12345678901234567890123", 23));
	assert_true(adi_fp_is_id("a1b2c3d4", 8));
	assert_false(adi_fp_is_id("a1b2c3d", 7));
	assert_false(adi_fp_is_id("abcdefab", 8));
	assert_false(adi_fp_is_id("", 0));
	assert_false(adi_fp_is_id("12a-", 4));
	assert_true(adi_fp_is_id("550e8400-e29b-41d4-a716-446655440000", 36));
	assert_false(adi_fp_is_id("550e8400-e29b-41d4-a716_446655440000", 36));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_constants_and_spacing),
		cmocka_unit_test(test_sql_quotes_and_comments),
		cmocka_unit_test(test_sql_signs),
		cmocka_unit_test(test_sql_lists),
		cmocka_unit_test(test_sql_keywords_as_constants),
		cmocka_unit_test(test_sql_consts_hash),
		cmocka_unit_test(test_sql_tables),
		cmocka_unit_test(test_sql_batch_hint),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_key_patterns),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_mongo),
		cmocka_unit_test(test_is_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
