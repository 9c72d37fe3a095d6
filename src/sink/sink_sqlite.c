/* sink_sqlite.c - the SQLite trace store (docs/store.md): one row per event
 * in `events` (the common fields as columns, the kind's own fields as JSON
 * text), written in batched transactions so a busy trace keeps up.
 * Owns the database connection; reading a store back is trace_read.c's job.
 * A failing disk loses the open batch: counted, returned as -errno, never
 * fatal (the engine counts it and the CLI reports it, as for JSON Lines).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif

#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../lib/version.h"

#define ADI_STORE_FORMAT "adi-profiler-trace"
#define ADI_STORE_VERSION 1
#define ADI_STORE_BATCH_EVENTS 1000
#define ADI_STORE_BATCH_MS 100

/* The schema, documented in docs/store.md: keep the two in step. */
static const char adi_store_schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE events("
	" id INTEGER PRIMARY KEY,"
	" ts_ns INTEGER NOT NULL,"
	" timestamp TEXT NOT NULL,"
	" duration_ms REAL,"
	" kind TEXT NOT NULL,"
	" pid INTEGER NOT NULL,"
	" tid INTEGER NOT NULL,"
	" comm TEXT NOT NULL,"
	" cgroup_id INTEGER NOT NULL,"
	" container TEXT,"
	" conn_id INTEGER,"
	" fields TEXT NOT NULL);";

/* Built when the trace ends (with trace_summary, or at close): one bulk
 * build costs about half of keeping them up to date at every insert
 * (bench/ui.sh), and a store is queried once it is complete. */
static const char adi_store_indexes[] =
	"CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ns);"
	"CREATE INDEX IF NOT EXISTS events_kind ON events(kind);"
	"CREATE INDEX IF NOT EXISTS events_pid ON events(pid);"
	"CREATE INDEX IF NOT EXISTS events_conn ON events(conn_id);";

static const char adi_store_insert[] =
	"INSERT INTO events(ts_ns, timestamp, duration_ms, kind, pid, tid, comm,"
	" cgroup_id, container, conn_id, fields, id) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";

struct adi_sink_sqlite {
	struct adi_sink base; /* first: the sink methods cast back to this */
	sqlite3 *db;
	sqlite3_stmt *ins;
	unsigned batch_events;
	uint64_t batch_ns;
	bool in_tx;
	bool indexed;           /* adi_store_indexes are built */
	unsigned batch_n;       /* events in the open transaction */
	uint64_t batch_t0;      /* monotonic start of the open transaction */
	struct adi_sqlite_stats st;
	char *buf;              /* the fields JSON being built, reused */
	size_t len, cap;
};

/* -errno for the connection's last failure: the OS errno behind it when
 * SQLite kept one (ENOSPC, EFBIG, EIO...), else one from its code. */
static int adi_store_errno(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;

	if (sys > 0 && (rc & 0xff) != SQLITE_CONSTRAINT)
		return -sys;
	switch (rc & 0xff) {
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_TOOBIG: return -E2BIG;
	default: return -EIO;
	}
}

/* End the open transaction. A failed COMMIT (full disk) is rolled back:
 * its events are lost and counted. 0 or -errno. */
static int adi_store_commit(struct adi_sink_sqlite *ss)
{
	int rc, err = 0;

	if (!ss->in_tx)
		return 0;
	rc = sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		ss->st.written += ss->batch_n;
		ss->st.commits++;
	} else {
		err = adi_store_errno(ss->db, rc);
		ss->st.lost += ss->batch_n;
		if (!sqlite3_get_autocommit(ss->db))
			sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	}
	ss->in_tx = false;
	ss->batch_n = 0;
	return err;
}

/* Build the indexes (once); 0 or -errno. Inside an open transaction they
 * commit with it. */
static int adi_store_index(struct adi_sink_sqlite *ss)
{
	int rc;

	if (ss->indexed)
		return 0;
	rc = sqlite3_exec(ss->db, adi_store_indexes, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return adi_store_errno(ss->db, rc);
	ss->indexed = true;
	return 0;
}

/* ms as the JSON Lines sink writes it (3 decimals), read back as a double:
 * a store and a JSON Lines file of one run then give `view` the same
 * durations to the nanosecond. */
static double adi_store_ms(struct adi_sink_sqlite *ss, int64_t ns)
{
	size_t len = 0;

	if (adi_j_append_double((double)ns / 1e6, &ss->buf, &len, &ss->cap))
		return (double)ns / 1e6;
	return strtod(ss->buf, NULL);
}

static int adi_sink_sqlite_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_sqlite *ss = (struct adi_sink_sqlite *)s;
	sqlite3_stmt *q = ss->ins;
	struct adi_jv id;
	char ts[40];
	int rc, err;

	if (!ss->in_tx) {
		rc = sqlite3_exec(ss->db, "BEGIN", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			ss->st.lost++;
			return adi_store_errno(ss->db, rc);
		}
		ss->in_tx = true;
		ss->batch_n = 0;
		ss->batch_t0 = adi_now_mono();
	}
	/* every bound text lives until the step below: no copies (STATIC) */
	sqlite3_bind_int64(q, 1, (sqlite3_int64)ev->ts_ns);
	sqlite3_bind_text(q, 2, adi_rfc3339(ev->ts_ns, ts, sizeof(ts)), -1, SQLITE_STATIC);
	if (ev->duration_ns < 0)
		sqlite3_bind_null(q, 3);
	else
		sqlite3_bind_double(q, 3, adi_store_ms(ss, ev->duration_ns));
	sqlite3_bind_text(q, 4, ev->kind ? ev->kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, ev->pid);
	sqlite3_bind_int64(q, 6, ev->tid);
	sqlite3_bind_text(q, 7, ev->comm, (int)strnlen(ev->comm, sizeof(ev->comm)),
			  SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)ev->cgroup_id);
	if (ev->container[0])
		sqlite3_bind_text(q, 9, ev->container,
				  (int)strnlen(ev->container, sizeof(ev->container)),
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 9);
	id = adi_jv_get(adi_jv_member(adi_event_fields(ev), "conn"), "id");
	if (adi_jv_type(id) == ADI_J_INT)
		sqlite3_bind_int64(q, 10, adi_jv_int(id, 0));
	else
		sqlite3_bind_null(q, 10);
	/* the kind's fields as one JSON object */
	ss->len = 0;
	err = adi_j_append_raw("{", 1, &ss->buf, &ss->len, &ss->cap);
	if (ev->fields_len)
		err |= adi_j_append_raw(ev->fields, ev->fields_len, &ss->buf, &ss->len, &ss->cap);
	err |= adi_j_append_raw("}", 1, &ss->buf, &ss->len, &ss->cap);
	if (err) {
		sqlite3_reset(q);
		ss->st.lost++;
		return -ENOMEM;
	}
	sqlite3_bind_text(q, 11, ss->buf, (int)ss->len, SQLITE_STATIC);
	/* the event's id (events.md) is the row's: the two agree even where
	 * a sink lost events; none (a trace read back without ids): the next
	 * row number, the trace order */
	if (ev->id)
		sqlite3_bind_int64(q, 12, (sqlite3_int64)ev->id);
	else
		sqlite3_bind_null(q, 12);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE) {
		err = adi_store_errno(ss->db, rc);
		ss->st.lost++;
		/* some errors (a full disk, an I/O error) roll the whole
		 * transaction back: its earlier events are gone too */
		if (sqlite3_get_autocommit(ss->db)) {
			ss->st.lost += ss->batch_n;
			ss->in_tx = false;
			ss->batch_n = 0;
		}
		return err;
	}
	ss->batch_n++;
	/* the summary is the last event: the trace is complete on disk now,
	 * with its indexes (in the same transaction) */
	if (ev->kind && !strcmp(ev->kind, "trace_summary")) {
		err = adi_store_index(ss);
		rc = adi_store_commit(ss);
		return rc ? rc : err;
	}
	if (ss->batch_n >= ss->batch_events ||
	    adi_now_mono() - ss->batch_t0 >= ss->batch_ns)
		return adi_store_commit(ss);
	return 0;
}

/* Commits the open batch once it is batch_ms old, so a reader of the file
 * sees events soon; a younger batch keeps growing (the engine flushes after
 * every small read of the ring, far more often than commits pay off). */
static int adi_sink_sqlite_flush(struct adi_sink *s)
{
	struct adi_sink_sqlite *ss = (struct adi_sink_sqlite *)s;

	if (ss->in_tx && adi_now_mono() - ss->batch_t0 >= ss->batch_ns)
		return adi_store_commit(ss);
	return 0;
}

static uint64_t adi_sink_sqlite_lost(struct adi_sink *s)
{
	return ((struct adi_sink_sqlite *)s)->st.lost;
}

/* Commits what is left, leaves the file as one plain database (no -wal
 * beside it), and closes it. */
static void adi_sink_sqlite_free(struct adi_sink *s)
{
	struct adi_sink_sqlite *ss = (struct adi_sink_sqlite *)s;

	if (!ss)
		return;
	if (ss->db) {
		adi_store_commit(ss);
		if (ss->ins) /* a store that was opened: make it whole */
			adi_store_index(ss);
		sqlite3_finalize(ss->ins);
		sqlite3_exec(ss->db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
		sqlite3_close(ss->db);
	}
	free(ss->buf);
	free(ss);
}

void adi_sink_sqlite_stats(const struct adi_sink *s, struct adi_sqlite_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (s && s->emit == adi_sink_sqlite_emit)
		*st = ((const struct adi_sink_sqlite *)s)->st;
}

bool adi_sink_is_store_path(const char *path)
{
	size_t n = path ? strlen(path) : 0;

	return (n > 3 && !strcmp(path + n - 3, ".db")) ||
	       (n > 7 && !strcmp(path + n - 7, ".sqlite"));
}

/* Empty (or create) path and drop the journals of an earlier database
 * there, so the store starts clean, as fopen(path, "w") would. */
static int adi_store_reset_file(const char *path)
{
	static const char *const ext[] = { "-journal", "-wal", "-shm" };
	char side[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	close(fd);
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path, ext[i]) < sizeof(side))
			unlink(side);
	return 0;
}

struct adi_sink *adi_sink_sqlite_new(const char *path, const struct adi_sqlite_opts *o,
				     char *errbuf, size_t errsz)
{
	struct adi_sink_sqlite *ss;
	char sql[512], ts[40];
	int rc, err;

	if (errsz)
		errbuf[0] = '\0';
	if (!path || !*path) {
		snprintf(errbuf, errsz, "no path for the store");
		errno = EINVAL;
		return NULL;
	}
	err = adi_store_reset_file(path);
	if (err) {
		snprintf(errbuf, errsz, "cannot write %s: %s", path, strerror(-err));
		errno = -err;
		return NULL;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss) {
		snprintf(errbuf, errsz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	ss->base.emit = adi_sink_sqlite_emit;
	ss->base.flush = adi_sink_sqlite_flush;
	ss->base.free = adi_sink_sqlite_free;
	ss->base.lost = adi_sink_sqlite_lost;
	ss->batch_events = o && o->batch_events ? o->batch_events : ADI_STORE_BATCH_EVENTS;
	ss->batch_ns = (uint64_t)(o && o->batch_ms ? o->batch_ms : ADI_STORE_BATCH_MS) *
		       1000000ULL;
	rc = sqlite3_open_v2(path, &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	/* WAL with synchronous=NORMAL: a commit appends to the log without an
	 * fsync; a crash may lose the last batches, never corrupt the file.
	 * (A file system without shared memory keeps the rollback journal.) */
	sqlite3_exec(ss->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	rc = sqlite3_exec(ss->db, "PRAGMA synchronous=NORMAL;PRAGMA cache_size=-16384", NULL,
			  NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(ss->db, adi_store_schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		/* the version is [0-9a-z.+] (cmake/version.cmake): nothing to quote */
		snprintf(sql, sizeof(sql),
			 "INSERT INTO meta VALUES('format','" ADI_STORE_FORMAT "'),"
			 "('format_version','%d'),('events_version','%d'),('created','%s'),"
			 "('version','%s')",
			 ADI_STORE_VERSION, ADI_EVENT_VERSION,
			 adi_rfc3339((uint64_t)time(NULL) * 1000000000ULL, ts, sizeof(ts)),
			 adi_version());
		rc = sqlite3_exec(ss->db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(ss->db, adi_store_insert, -1, &ss->ins, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	return &ss->base;
fail:
	err = adi_store_errno(ss->db, rc);
	snprintf(errbuf, errsz, "cannot create the store %s: %s", path,
		 ss->db ? sqlite3_errmsg(ss->db) : sqlite3_errstr(rc));
	adi_sink_sqlite_free(&ss->base);
	errno = -err;
	return NULL;
}
