/* fingerprint.h - what makes two operations "the same" (docs/insight.md):
 * SQL normalised by pg_stat_statements' rules, Redis commands by key
 * pattern, MongoDB commands by filter shape, URLs by route template. Pure
 * functions of their input: no state, no I/O. Each also hashes the values
 * it replaced, so a caller can tell the same operation run with different
 * parameters (an N+1 loop) from one repeated as it is.
 */
#ifndef ADI_FINGERPRINT_H
#define ADI_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable string (owned; NUL-terminated once anything is written). */
struct adi_sb {
	char *p;
	size_t len, cap;
	int err;              /* -ENOMEM: incomplete (sticky) */
};

void adi_sb_put(struct adi_sb *b, const char *s, size_t n);
void adi_sb_puts(struct adi_sb *b, const char *s);
void adi_sb_putc(struct adi_sb *b, char c);
void adi_sb_reset(struct adi_sb *b);   /* empty, buffer kept */
void adi_sb_fini(struct adi_sb *b);    /* frees; b is empty again */

/* FNV-1a, 64 bits: h continues an earlier hash (start with ADI_HASH0). */
#define ADI_HASH0 0xcbf29ce484222325ull
uint64_t adi_hash(uint64_t h, const void *p, size_t n);

/* ---- SQL ---- */

enum adi_sql_dialect {
	ADI_SQL_POSTGRES, /* "x" is an identifier, $1 a parameter, $$..$$ a string */
	ADI_SQL_MYSQL,    /* "x" is a string, `x` an identifier, \ escapes, # comments */
};

/* The fingerprint of sql[0..n) appended to out: comments dropped, white
 * space normalised to one space between tokens (none inside parentheses
 * and around '.' and '::'), known keywords upper case, every constant
 * (string, number with its sign, boolean, NULL but after IS/NOT, dollar
 * quote) and parameter ($1, ?) written `?`, an IN list or ARRAY of them
 * `(...)`, repeated identical VALUES rows `(...), ...`, a final ';'
 * dropped. *consts (may be NULL) gets the hash of the constants replaced,
 * in order. Text past 8 KiB of output is cut with "...". */
void adi_fp_sql(const char *sql, size_t n, enum adi_sql_dialect d, struct adi_sb *out,
		uint64_t *consts);

/* The statement's verb (SELECT, INSERT, UPDATE, DELETE, DDL for CREATE/
 * ALTER/DROP/TRUNCATE..., else its first keyword) and the tables it names
 * (after FROM, JOIN, INTO, UPDATE, TABLE, COPY; names a WITH defines are
 * not tables), read from a fingerprint (adi_fp_sql's output). Calls fn
 * once per table (verb, name, name length); returns the verb (static). */
const char *adi_sql_tables(const char *fp, size_t n,
			   void (*fn)(void *arg, const char *verb, const char *t, size_t tn),
			   void *arg);

/* "WHERE col IN (...)" for a fingerprint with exactly one "col = ?"
 * comparison: the single query an N+1 loop could be (appended to out);
 * false (nothing written) when it is not that obvious. */
bool adi_sql_batch_hint(const char *fp, size_t n, struct adi_sb *out);

/* ---- keys and routes ---- */

/* True when s[0..n) is an id by docs/insight.md's rule: all digits, a
 * UUID (8-4-4-4-12 hex), or 8 or more hex digits with at least one
 * decimal digit. */
bool adi_fp_is_id(const char *s, size_t n);

/* The route template of an HTTP target (origin or absolute form):
 * scheme and authority, query and fragment dropped, each path segment
 * that is an id (adi_fp_is_id, before an extension: "42.json") written
 * ":id". Appended to out; "/" for an empty path. */
void adi_fp_route(const char *url, size_t n, struct adi_sb *out);

/* A Redis key's pattern: split at ':' '/' '.' '|' '#' '=' ',' and, inside
 * a part that is not an id itself, at '-' and '_'; each part that is an
 * id (adi_fp_is_id) or a date-like run of digits written '*'. */
void adi_fp_key_pattern(const char *key, size_t n, struct adi_sb *out);

/* The fingerprint of a Redis command: the command (upper case, as the
 * event has it) and the distinct patterns of its keys (at most 3, then
 * "..."): "GET user:*", "MGET user:* session:*", "PING". Which arguments
 * are keys comes from a table of commands (first argument by default);
 * EVAL/EVALSHA/FCALL keep their script or function. args[i] are
 * argument strings (s, n); *params (may be NULL) hashes all arguments. */
struct adi_slice {
	const char *s;
	size_t n;
};
void adi_fp_redis(const char *cmd, const struct adi_slice *args, size_t nargs,
		  struct adi_sb *out, uint64_t *params);

/* ---- MongoDB ---- */

/* The fingerprint of a MongoDB command: "<op> <db>.<collection> <shape>"
 * where the shape is the filter (find, count, distinct, delete, update,
 * findAndModify) or the pipeline's stages (aggregate, with its $match
 * filter) with every value written ?, an array under $in/$nin/$all [...],
 * Extended JSON wrappers ({"$oid": ...}) ?. cmd is the command document
 * as the event has it (compact JSON); db and coll may be NULL. *params
 * (may be NULL) hashes the values replaced. */
void adi_fp_mongo(const char *op, const char *db, const char *coll, const char *cmd,
		  size_t cmdn, struct adi_sb *out, uint64_t *params);

#endif
