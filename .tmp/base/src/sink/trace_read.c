/* trace_read.c - read a saved trace back as events (trace_read.h): JSON
 * Lines or an SQLite store. Owns the open file or database and the one
 * event it lends out at a time; knows nothing of what is done with it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getline */
#endif

#include "trace_read.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char adi_sqlite_magic[16] = "SQLite format 3";

struct adi_trace_in {
	FILE *f;                 /* JSON Lines, or NULL */
	sqlite3 *db;             /* a store, or NULL */
	sqlite3_stmt *q;
	char *line;
	size_t cap;
	unsigned long where;
	struct adi_event ev;     /* the event lent out */
	struct adi_jval *kind_v; /* JSON Lines: owns ev.kind's text */
	struct adi_jw fw;        /* owns ev.fields' text */
	char *kind;              /* store: owns ev.kind's text */
	size_t kind_cap;
};

/* The common fields of docs/events.md: columns in the store, members of the
 * line in JSON Lines; every other member is the kind's own. */
static const char *const adi_common_keys[] = {
	"v", "timestamp", "ts_ns", "duration_ms", "pid", "tid", "comm",
	"cgroup_id", "container",
};

static void adi_trace_in_reset(struct adi_trace_in *r)
{
	adi_j_free(r->kind_v);
	adi_jw_reset(&r->fw);
	memset(&r->ev, 0, sizeof(r->ev));
	r->kind_v = NULL;
	r->ev.duration_ns = -1;
}

/* duration_ms (a number or null) to ns, as every reader of docs/events.md
 * does: rounded to the nearest nanosecond. */
static int64_t adi_trace_ms_to_ns(double ms)
{
	return (int64_t)(ms * 1e6 + 0.5);
}

/* The members of o as r->ev.fields (in their order), but the common ones
 * when strip (a JSON Lines line holds them too); 0 or -ENOMEM. */
static int adi_trace_in_fields(struct adi_trace_in *r, const struct adi_jval *o, bool strip)
{
	for (size_t i = 0; i < adi_j_len(o); i++) {
		const char *k = adi_j_key_at(o, i);
		bool common = false;

		for (size_t c = 0; strip && c < sizeof(adi_common_keys) / sizeof(adi_common_keys[0]); c++)
			common |= !strcmp(k, adi_common_keys[c]);
		if (common)
			continue;
		adi_jw_keyn(&r->fw, k, strlen(k));
		adi_jw_tree(&r->fw, adi_j_at(o, i));
	}
	if (r->fw.err)
		return r->fw.err;
	r->ev.fields = r->fw.buf ? r->fw.buf : "";
	r->ev.fields_len = r->fw.len;
	return 0;
}

/* One JSON Lines line into r->ev; -EINVAL when it is not an event. */
static int adi_trace_in_line(struct adi_trace_in *r, char *line, size_t n)
{
	struct adi_jval *o = adi_json_parse(line, n), *d;
	int rc;

	if (adi_j_type(o) != ADI_J_OBJ || adi_j_type(adi_j_get(o, "kind")) != ADI_J_STR) {
		adi_j_free(o);
		return -EINVAL;
	}
	r->kind_v = adi_j_take(o, "kind");
	r->ev.kind = adi_j_as_str(r->kind_v, "");
	r->ev.ts_ns = (uint64_t)adi_j_get_int(o, "ts_ns", 0);
	d = adi_j_get(o, "duration_ms");
	r->ev.duration_ns = adi_j_is_null(d) ? -1 : adi_trace_ms_to_ns(adi_j_as_double(d, 0));
	r->ev.pid = (uint32_t)adi_j_get_int(o, "pid", 0);
	r->ev.tid = (uint32_t)adi_j_get_int(o, "tid", 0);
	snprintf(r->ev.comm, sizeof(r->ev.comm), "%s", adi_j_get_str(o, "comm", ""));
	r->ev.cgroup_id = (uint64_t)adi_j_get_int(o, "cgroup_id", 0);
	snprintf(r->ev.container, sizeof(r->ev.container), "%s",
		 adi_j_get_str(o, "container", ""));
	rc = adi_trace_in_fields(r, o, true);
	adi_j_free(o);
	return rc;
}

static int adi_trace_in_next_line(struct adi_trace_in *r)
{
	ssize_t n;

	for (;;) {
		errno = 0;
		n = getline(&r->line, &r->cap, r->f);
		if (n < 0)
			return ferror(r->f) ? -(errno ? errno : EIO) : 0;
		r->where++;
		while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			r->line[--n] = '\0';
		if (n == 0)
			continue;
		return adi_trace_in_line(r, r->line, (size_t)n) ? -EINVAL : 1;
	}
}

/* Text of column i, copied into a fixed field (cut to fit). */
static void adi_trace_col_text(sqlite3_stmt *q, int i, char *dst, size_t dstsz)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	snprintf(dst, dstsz, "%s", t ? (const char *)t : "");
}

static int adi_trace_in_next_row(struct adi_trace_in *r)
{
	sqlite3_stmt *q = r->q;
	const char *kind, *fields;
	size_t kl;
	int rc = sqlite3_step(q);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	r->where = (unsigned long)sqlite3_column_int64(q, 0);
	kind = (const char *)sqlite3_column_text(q, 3);
	fields = (const char *)sqlite3_column_text(q, 9);
	if (!kind || !fields)
		return -EINVAL;
	{
		struct adi_jval *o = adi_json_parse(fields, (size_t)sqlite3_column_bytes(q, 9));

		rc = adi_j_type(o) == ADI_J_OBJ ? adi_trace_in_fields(r, o, false) : -EINVAL;
		adi_j_free(o);
		if (rc)
			return rc;
	}
	kl = strlen(kind) + 1;
	if (kl > r->kind_cap) {
		char *k = realloc(r->kind, kl);

		if (!k)
			return -ENOMEM;
		r->kind = k;
		r->kind_cap = kl;
	}
	memcpy(r->kind, kind, kl);
	r->ev.kind = r->kind;
	r->ev.ts_ns = (uint64_t)sqlite3_column_int64(q, 1);
	r->ev.duration_ns = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 :
			    adi_trace_ms_to_ns(sqlite3_column_double(q, 2));
	r->ev.pid = (uint32_t)sqlite3_column_int64(q, 4);
	r->ev.tid = (uint32_t)sqlite3_column_int64(q, 5);
	adi_trace_col_text(q, 6, r->ev.comm, sizeof(r->ev.comm));
	r->ev.cgroup_id = (uint64_t)sqlite3_column_int64(q, 7);
	adi_trace_col_text(q, 8, r->ev.container, sizeof(r->ev.container));
	return 1;
}

int adi_trace_in_next(struct adi_trace_in *r, const struct adi_event **ev)
{
	int rc;

	adi_trace_in_reset(r);
	rc = r->db ? adi_trace_in_next_row(r) : adi_trace_in_next_line(r);
	if (rc == 1)
		*ev = &r->ev;
	return rc;
}

/* A store's format must be one this build reads (docs/store.md). */
static int adi_trace_in_open_store(struct adi_trace_in *r, const char *path, char *err,
				   size_t errsz)
{
	static const char sel[] =
		"SELECT id, ts_ns, duration_ms, kind, pid, tid, comm, cgroup_id,"
		" container, fields FROM events ORDER BY id";
	sqlite3_stmt *m = NULL;
	long version = -1;
	int rc;

	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key='format_version'",
					-1, &m, NULL);
	if (rc == SQLITE_OK && sqlite3_step(m) == SQLITE_ROW)
		version = sqlite3_column_int(m, 0);
	sqlite3_finalize(m);
	if (rc != SQLITE_OK || version < 0) {
		snprintf(err, errsz, "%s is an SQLite database but not an adi-profiler trace "
			 "store (%s)", path, r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		return -EINVAL;
	}
	if (version > 1) {
		snprintf(err, errsz, "%s is a store of format %ld; this build reads format 1",
			 path, version);
		return -EINVAL;
	}
	rc = sqlite3_prepare_v2(r->db, sel, -1, &r->q, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, sqlite3_errmsg(r->db));
		return -EINVAL;
	}
	return 0;
}

struct adi_trace_in *adi_trace_in_open(const char *path, char *err, size_t errsz)
{
	struct adi_trace_in *r = calloc(1, sizeof(*r));
	char head[16];
	int e;

	if (errsz)
		err[0] = '\0';
	if (!r) {
		snprintf(err, errsz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->ev.duration_ns = -1;
	if (!strcmp(path, "-")) {
		r->f = stdin;
		return r;
	}
	r->f = fopen(path, "re");
	if (!r->f) {
		e = errno;
		snprintf(err, errsz, "cannot read %s: %s", path, strerror(e));
		free(r);
		errno = e;
		return NULL;
	}
	if (fread(head, 1, sizeof(head), r->f) == sizeof(head) &&
	    !memcmp(head, adi_sqlite_magic, sizeof(head))) {
		fclose(r->f);
		r->f = NULL;
		e = adi_trace_in_open_store(r, path, err, errsz);
		if (e) {
			adi_trace_in_close(r);
			errno = -e;
			return NULL;
		}
		return r;
	}
	rewind(r->f);
	return r;
}

unsigned long adi_trace_in_where(const struct adi_trace_in *r)
{
	return r->where;
}

bool adi_trace_in_is_store(const struct adi_trace_in *r)
{
	return r->db != NULL;
}

void adi_trace_in_close(struct adi_trace_in *r)
{
	if (!r)
		return;
	adi_trace_in_reset(r);
	if (r->f && r->f != stdin)
		fclose(r->f);
	sqlite3_finalize(r->q);
	sqlite3_close(r->db);
	adi_jw_fini(&r->fw);
	free(r->line);
	free(r->kind);
	free(r);
}
