/* test_sinks.c - unit tests of src/sink: the exact JSON Lines output of
 * built events, the text timeline line of every kind (also with fields
 * missing), colour, previews, and write errors on a full disk.
 * Expected lines are written by hand from sink.h and docs/events.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>

#include "lib/event.h"
#include "evtree.h"
#include "sink/sink.h"

/* 2026-11-27T17:31:45.123456789Z (date -u -d @1795800705) */
#define TS_2026 1795800705123456789ull
/* 15:10:41.123456789 UTC on 1970-01-01 (15*3600 + 10*60 + 41 = 54641 s) */
#define TS_CLOCK 54641123456789ull

static struct adi_event *mk(const char *kind, uint64_t ts)
{
	struct adi_event *ev = adi_event_new(kind, ts, NULL, 0);

	assert_non_null(ev);
	ev->pid = 4213;
	ev->tid = 4213;
	strcpy(ev->comm, "sh");
	return ev;
}

/* Emit ev into a fresh sink over a memory stream; return what came out. */
static char *render(struct adi_sink *(*mk_sink)(FILE *, const struct adi_sink_opts *),
		    const struct adi_sink_opts *o, const struct adi_event *ev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_sink *s;

	assert_non_null(f);
	s = mk_sink(f, o);
	assert_non_null(s);
	assert_int_equal(adi_sink_emit(s, ev), 0);
	assert_int_equal(adi_sink_flush(s), 0);
	adi_sink_free(s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct adi_sink *json_new(FILE *f, const struct adi_sink_opts *o)
{
	(void)o;
	return adi_sink_json_new(f);
}

static void expect_json_line(const struct adi_event *ev, const char *want)
{
	char *got = render(json_new, NULL, ev);

	assert_string_equal(got, want);
	free(got);
}

static void expect_text(const struct adi_sink_opts *o, const struct adi_event *ev,
			const char *want)
{
	char *got = render(adi_sink_text_new, o, ev);

	assert_string_equal(got, want);
	free(got);
}

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void test_event_new(void **state)
{
	struct adi_event *ev = adi_event_new("file", 5, NULL, 0);

	(void)state;
	assert_non_null(ev);
	assert_string_equal(ev->kind, "file");
	assert_int_equal(ev->ts_ns, 5);
	assert_int_equal(ev->duration_ns, -1);
	assert_int_equal(ev->pid, 0);
	assert_int_equal(ev->container[0], 0);
	assert_int_equal(ev->fields_len, 0);
	assert_string_equal(ev->fields, "");
	adi_event_free(ev);
	adi_event_free(NULL);
	/* the fields text is copied */
	{
		char text[] = "\"op\":\"open\"";

		ev = adi_event_new("file", 6, text, strlen(text));
		text[1] = 'X';
		assert_int_equal(ev->fields_len, 11);
		assert_string_equal(ev->fields, "\"op\":\"open\"");
		assert_true(adi_jv_streq(adi_jv_member(adi_event_fields(ev), "op"), "open"));
		adi_event_free(ev);
	}
}

/* adi_event_prepend: members before the fields, a comma between only
 * when there are fields; the rest of the event kept; an event whose
 * fields are not its own refused, untouched */
static void test_event_prepend(void **state)
{
	static const char pre[] = "\"parent_id\":7,\"parent_by\":\"thread\"";
	static const char long_pre[] = "\"b\":\"012345678901234567890123456789012345678901234567890123\"";
	struct adi_event *ev = adi_event_new("file", 6, "\"op\":\"open\"", 11), *n;
	struct adi_event fake;

	(void)state;
	ev->pid = 42;
	n = adi_event_prepend(ev, pre, strlen(pre));
	assert_non_null(n);
	assert_string_equal(n->fields, "\"parent_id\":7,\"parent_by\":\"thread\",\"op\":\"open\"");
	assert_int_equal(n->fields_len, strlen(n->fields));
	assert_int_equal(n->pid, 42);
	assert_int_equal(n->ts_ns, 6);
	adi_event_free(n);
	ev = adi_event_new("file", 6, NULL, 0);
	n = adi_event_prepend(ev, pre, strlen(pre));
	assert_string_equal(n->fields, pre);
	assert_int_equal(n->fields_len, strlen(pre));
	adi_event_free(n);
	/* in the room kept before the fields, then past what is left of it
	 * (the allocation shrinks as the fields move up), then with no room
	 * (it grows): each time the whole list in order */
	ev = adi_event_new("file", 6, "\"op\":\"open\"", 11);
	n = adi_event_prepend(ev, "\"a\":1", 5);
	assert_non_null(n);
	n = adi_event_prepend(n, long_pre, strlen(long_pre));
	assert_non_null(n);
	n = adi_event_prepend(n, "\"c\":2", 5);
	assert_non_null(n);
	assert_string_equal(n->fields, "\"c\":2,\"b\":\"012345678901234567890123456789012345678901234567890123\","
			    "\"a\":1,\"op\":\"open\"");
	assert_int_equal(n->fields_len, strlen(n->fields));
	adi_event_free(n);
	memset(&fake, 0, sizeof(fake));
	fake.fields = "\"op\":\"open\"";
	fake.fields_len = 11;
	assert_null(adi_event_prepend(&fake, pre, strlen(pre)));
	assert_string_equal(fake.fields, "\"op\":\"open\"");
}

/* The member index a writer hands its event (adi_event_new_jw): where
 * each member lies, kept up when a tree's members go first; none when a
 * key was escaped; a member written as text and not noted is what the
 * check (adi_event_index_ok, run on every event where assertions are)
 * finds wrong. */
static void test_event_index(void **state)
{
	struct adi_jw w, list, pre;
	struct adi_event *ev, *n;

	(void)state;
	adi_jw_init(&w);
	adi_jw_init(&list);
	adi_jw_init(&pre);
	adi_jw_kstr(&w, "op", "open");
	adi_jw_kobj(&w, "conn");
	adi_jw_kstr(&w, "local", "a,\"b\":1");
	adi_jw_obj_end(&w);
	adi_jw_kint(&list, "rows", 3);
	adi_jw_knull(&list, "error");
	adi_jw_splice(&w, &list);
	ev = adi_event_new_jw("x", 1, &w);
	assert_non_null(ev);
	assert_int_equal(ev->nidx, 4);
	assert_int_equal(ev->idx[0].off, 0);
	assert_int_equal(ev->idx[1].klen, 4);
	assert_memory_equal(ev->fields + ev->idx[2].off, "\"rows\":3,", 9);
	assert_memory_equal(ev->fields + ev->idx[3].off, "\"error\":null", 12);
	assert_true(adi_event_index_ok(ev));
	/* the tree's members first: the event's move past them */
	adi_jw_kint(&pre, "parent_id", 7);
	adi_jw_kstr(&pre, "parent_by", "thread");
	n = adi_event_prepend_jw(ev, &pre);
	assert_non_null(n);
	assert_int_equal(n->nidx, 6);
	assert_memory_equal(n->fields + n->idx[1].off, "\"parent_by\":", 12);
	assert_memory_equal(n->fields + n->idx[4].off, "\"rows\":3,", 9);
	assert_true(adi_event_index_ok(n));
	/* a plain prepend leaves no index to trust */
	n = adi_event_prepend(n, "\"z\":1", 5);
	assert_non_null(n);
	assert_int_equal(n->nidx, 0);
	assert_true(adi_event_index_ok(n));
	adi_event_free(n);
	/* an escaped key: the index cannot name it, the event has none */
	adi_jw_reset(&w);
	adi_jw_kint(&w, "a", 1);
	adi_jw_keyn(&w, "q\"k", 3);
	adi_jw_int(&w, 2);
	ev = adi_event_new_jw("x", 1, &w);
	assert_int_equal(ev->nidx, 0);
	adi_event_free(ev);
	/* a member written as text, not noted: the check says so */
	adi_jw_reset(&w);
	adi_jw_kint(&w, "a", 1);
	ADI_JW_LIT(&w, ",\"b\":2");
	ev = adi_event_new_jw("x", 1, &w);
	assert_int_equal(ev->nidx, 1);
	assert_false(adi_event_index_ok(ev));
	adi_event_free(ev);
	/* ... and noted, it is right */
	adi_jw_reset(&w);
	adi_jw_kint(&w, "a", 1);
	adi_jw_note_member(&w, w.len + 1, 1);
	ADI_JW_LIT(&w, ",\"b\":2");
	ev = adi_event_new_jw("x", 1, &w);
	assert_int_equal(ev->nidx, 2);
	assert_true(adi_event_index_ok(ev));
	adi_event_free(ev);
	adi_jw_fini(&w);
	adi_jw_fini(&list);
	adi_jw_fini(&pre);
}

/* The text sink reads an event's members from its index when it has one:
 * the same line as from the text; an index that does not fit the text
 * around its members (a writer's bug) is not trusted: the same line
 * again. */
static void test_text_index(void **state)
{
	static const char want[] =
		"15:10:41.123456 [PID 4213 sh] SQL POSTGRES select 1 -> SELECT 1\n";
	struct adi_sink_opts o = { 0 };
	struct adi_jw w;
	struct adi_event *ev;
	char *plain;

	(void)state;
	adi_jw_init(&w);
	adi_jw_kstr(&w, "db", "postgres");
	adi_jw_kstr(&w, "sql", "select 1");
	adi_jw_kint(&w, "rows", 1);
	adi_jw_kstr(&w, "command_tag", "SELECT 1");
	adi_jw_knull(&w, "error");
	ev = adi_event_new("sql_query", TS_CLOCK, w.buf, w.len);
	ev->pid = ev->tid = 4213;
	strcpy(ev->comm, "sh");
	plain = render(adi_sink_text_new, &o, ev);
	assert_string_equal(plain, want);
	adi_event_free(ev);
	ev = adi_event_new_jw("sql_query", TS_CLOCK, &w);
	ev->pid = ev->tid = 4213;
	strcpy(ev->comm, "sh");
	assert_int_equal(ev->nidx, 5);
	expect_text(&o, ev, want);
	ev->idx[1].off--; /* "sql" one byte early: not its place */
	expect_text(&o, ev, want);
	ev->idx[1].off++;
	ev->idx[0].off = 1; /* text before the first member */
	expect_text(&o, ev, want);
	adi_event_free(ev);
	free(plain);
	adi_jw_fini(&w);
}

static void test_json_file_event(void **state)
{
	struct adi_event *ev = mk("file", TS_2026);
	struct adi_jval *f = adi_j_obj();

	(void)state;
	ev->duration_ns = 1500000;
	ev->cgroup_id = 77;
	adi_j_set_str(f, "op", "write");
	adi_j_set_str(f, "path", "/tmp/a.txt");
	adi_j_set_int(f, "fd", 3);
	adi_j_set_int(f, "bytes", 3);
	adi_j_set_int(f, "ops", 1);
	adi_j_set_bytes(f, "content", (const uint8_t *)"hi\n", 3);
	adi_j_set_null(f, "error");
	ev = ev_fields(ev, f);
	expect_json_line(ev,
		"{\"v\":1,\"kind\":\"file\",\"timestamp\":\"2026-11-27T17:31:45.123456789Z\","
		"\"ts_ns\":1795800705123456789,\"duration_ms\":1.5,\"pid\":4213,\"tid\":4213,"
		"\"comm\":\"sh\",\"cgroup_id\":77,\"container\":null,\"op\":\"write\","
		"\"path\":\"/tmp/a.txt\",\"fd\":3,\"bytes\":3,\"ops\":1,\"content\":\"hi\\n\","
		"\"error\":null}\n");
	adi_event_free(ev);
}

static void test_json_common_fields(void **state)
{
	struct adi_event *ev = mk("process", 0);

	(void)state;
	/* no fields, null duration, a container, a thread, a 15-char comm */
	ev->tid = 4214;
	strcpy(ev->comm, "abcdefghijklmno");
	strcpy(ev->container, "0123456789ab");
	expect_json_line(ev,
		"{\"v\":1,\"kind\":\"process\",\"timestamp\":\"1970-01-01T00:00:00.000000000Z\","
		"\"ts_ns\":0,\"duration_ms\":null,\"pid\":4213,\"tid\":4214,"
		"\"comm\":\"abcdefghijklmno\",\"cgroup_id\":0,\"container\":\"0123456789ab\"}\n");
	/* 0 ns is a real duration, not null; 1234567 ns rounds to 1.235 */
	ev->duration_ns = 0;
	ev->container[0] = '\0';
	{
		struct adi_jval *f = adi_j_obj();

		adi_j_set_bytes(f, "content", (const uint8_t *)"\xff\xfe\x00", 3);
		ev = ev_fields(ev, f);
	}
	expect_json_line(ev,
		"{\"v\":1,\"kind\":\"process\",\"timestamp\":\"1970-01-01T00:00:00.000000000Z\","
		"\"ts_ns\":0,\"duration_ms\":0.0,\"pid\":4213,\"tid\":4214,"
		"\"comm\":\"abcdefghijklmno\",\"cgroup_id\":0,\"container\":null,"
		"\"content\":\"base64://4A\"}\n");
	ev->duration_ns = 1234567;
	ev = ev_fields(ev, adi_j_obj());
	expect_json_line(ev,
		"{\"v\":1,\"kind\":\"process\",\"timestamp\":\"1970-01-01T00:00:00.000000000Z\","
		"\"ts_ns\":0,\"duration_ms\":1.235,\"pid\":4213,\"tid\":4214,"
		"\"comm\":\"abcdefghijklmno\",\"cgroup_id\":0,\"container\":null}\n");
	adi_event_free(ev);
}

/* A text event of the given kind at 15:10:41.123456, built from JSON. */
static struct adi_event *mk_text(const char *kind, const char *fields_json)
{
	struct adi_jval *f = adi_json_parse(fields_json, strlen(fields_json));

	assert_non_null(f);
	return ev_fields(mk(kind, TS_CLOCK), f);
}

/* The text line of that event, rendered with o (NULL: the defaults) after
 * its duration is set (-1: none), must be the usual head + body + "\n". */
static void text_line_with(const struct adi_sink_opts *o, int64_t duration_ns,
			   const char *kind, const char *fields_json, const char *body)
{
	struct adi_event *ev = mk_text(kind, fields_json);
	char want[1024];

	ev->duration_ns = duration_ns;
	snprintf(want, sizeof(want), "15:10:41.123456 [PID 4213 sh] %s\n", body);
	expect_text(o, ev, want);
	adi_event_free(ev);
}

static void text_line(const char *kind, const char *fields_json, const char *body)
{
	text_line_with(NULL, -1, kind, fields_json, body);
}

static void test_text_file(void **state)
{
	(void)state;
	{	/* a member list written twice over (a later write wins, as
		 * jw.h's readers have it): the text shows the last value of
		 * each name, past the index's buckets (a member of every length
		 * up to 40 in between), after a key with escaped quotes */
		static const char head[] = "\"a key \\\"quoted\\\" past a word\":1,"
					   "\"op\":\"open\",\"path\":\"/a\",\"fd\":3,";
		static const char tail[] = "\"path\":\"/b\",\"flags\":\"O_RDONLY\",\"fd\":4,"
					   "\"mode\":\"0600\",\"error\":null";
		char fields[2048];
		size_t n = 0;
		struct adi_event *ev;

		n += (size_t)snprintf(fields + n, sizeof(fields) - n, "%s", head);
		for (int i = 1; i <= 40; i++)
			n += (size_t)snprintf(fields + n, sizeof(fields) - n, "\"%.*s\":%d,", i,
					      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
		n += (size_t)snprintf(fields + n, sizeof(fields) - n, "%s", tail);
		ev = adi_event_new("file", TS_CLOCK, fields, n);
		assert_non_null(ev);
		ev->pid = ev->tid = 4213;
		strcpy(ev->comm, "sh");
		expect_text(NULL, ev, "15:10:41.123456 [PID 4213 sh] FS OPEN /b O_RDONLY mode 0600 = fd 4\n");
		adi_event_free(ev);
	}
	text_line("file", "{\"op\":\"open\",\"path\":\"/tmp/a.txt\","
		  "\"flags\":\"O_WRONLY|O_CREAT|O_TRUNC\",\"mode\":\"0644\",\"fd\":3,\"error\":null}",
		  "FS OPEN /tmp/a.txt O_WRONLY|O_CREAT|O_TRUNC mode 0644 = fd 3");
	text_line("file", "{\"op\":\"open\",\"path\":\"/nope\",\"flags\":\"O_RDONLY\","
		  "\"mode\":null,\"fd\":null,\"error\":\"ENOENT\"}",
		  "FS OPEN /nope O_RDONLY ! ENOENT");
	text_line("file", "{\"op\":\"write\",\"path\":\"/tmp/a.txt\",\"fd\":3,\"bytes\":3,"
		  "\"ops\":1,\"content\":\"hi\\n\",\"error\":null}",
		  "FS WRITE /tmp/a.txt (3 B) \"hi\\n\"");
	text_line("file", "{\"op\":\"read\",\"path\":\"/etc/passwd\",\"bytes\":2150,\"ops\":4,"
		  "\"content\":\"a\\tb\\\"c\\\\d\\u0001\\u007f\"}",
		  "FS READ /etc/passwd (2.1 KiB, 4 calls) \"a\\tb\\\"c\\\\d\\x01\\x7f\"");
	/* DEL inside a printable run (longer than a 16-byte block) ends it */
	text_line("file", "{\"op\":\"read\",\"path\":\"/e\",\"bytes\":40,\"ops\":1,"
		  "\"content\":\"abcdefghijklmnopqrstu\\u007fvwxyz0123456789ABCD\"}",
		  "FS READ /e (40 B) \"abcdefghijklmnopqrstu\\x7fvwxyz0123456789ABCD\"");
	/* UTF-8 text stays readable */
	text_line("file", "{\"op\":\"write\",\"path\":\"/x\",\"bytes\":5,\"content\":\"caf\xc3\xa9\"}",
		  "FS WRITE /x (5 B) \"caf\xc3\xa9\"");
	/* binary content is summarised, not dumped */
	text_line("file", "{\"op\":\"write\",\"path\":\"/bin.dat\",\"bytes\":3,"
		  "\"content\":\"base64://4A\"}",
		  "FS WRITE /bin.dat (3 B) <binary 3 B>");
	text_line("file", "{\"op\":\"write\",\"path\":\"/bin.dat\",\"bytes\":4,"
		  "\"content\":\"base64:Zm9vww==\"}",
		  "FS WRITE /bin.dat (4 B) <binary 4 B>");
	/* empty content: no preview */
	text_line("file", "{\"op\":\"read\",\"path\":\"/e\",\"bytes\":0,\"content\":\"\"}",
		  "FS READ /e (0 B)");
	text_line("file", "{\"op\":\"rename\",\"path\":\"/a\",\"new_path\":\"/b\"}",
		  "FS RENAME /a -> /b");
	text_line("file", "{\"op\":\"symlink\",\"path\":\"/l\",\"new_path\":\"/t\"}",
		  "FS SYMLINK /l -> /t");
	text_line("file", "{\"op\":\"chmod\",\"path\":\"/a\",\"mode\":\"0755\"}",
		  "FS CHMOD /a mode 0755");
	text_line("file", "{\"op\":\"chown\",\"path\":\"/a\",\"uid\":1000,\"gid\":100}",
		  "FS CHOWN /a owner 1000:100");
	text_line("file", "{\"op\":\"truncate\",\"path\":\"/a\",\"error\":null}",
		  "FS TRUNCATE /a");
	text_line("file", "{\"op\":\"close\",\"path\":\"/a\",\"fd\":3}", "FS CLOSE /a (fd 3)");
	text_line("file", "{\"op\":\"close\",\"fd\":3}", "FS CLOSE (fd 3)");
	text_line("file", "{\"op\":\"unlink\",\"path\":\"/a\",\"error\":\"EACCES\"}",
		  "FS UNLINK /a ! EACCES");
	/* control characters in a path cannot reach the terminal */
	text_line("file", "{\"op\":\"unlink\",\"path\":\"/a\\u001b[2Jb\"}",
		  "FS UNLINK /a\\x1b[2Jb");
}

static void test_text_file_missing_fields(void **state)
{
	(void)state;
	text_line("file", "{}", "FS ? ?");
	text_line("file", "{\"op\":\"open\"}", "FS OPEN ?");
	text_line("file", "{\"op\":\"write\"}", "FS WRITE ? (?)");
	text_line("file", "{\"op\":\"write\",\"bytes\":null,\"content\":null}", "FS WRITE ? (?)");
	text_line("file", "{\"op\":\"rename\"}", "FS RENAME ? -> ?");
	text_line("file", "{\"op\":\"chmod\"}", "FS CHMOD ? mode ?");
	text_line("file", "{\"op\":\"chown\",\"path\":\"/a\"}", "FS CHOWN /a owner ?:?");
	text_line("file", "{\"op\":\"close\"}", "FS CLOSE (fd ?)");
	/* wrong types are shown, not trusted */
	text_line("file", "{\"op\":\"write\",\"path\":7,\"bytes\":\"many\",\"content\":5}",
		  "FS WRITE 7 (many)");
}

static void test_text_preview_limit(void **state)
{
	struct adi_sink_opts o = { .color = 0, .content_preview = 4 };

	(void)state;
	text_line_with(&o, -1, "file", "{\"op\":\"write\",\"path\":\"/a\",\"bytes\":8,"
		       "\"content\":\"abcdefgh\"}", "FS WRITE /a (8 B) \"abcd\"...");
	/* a character is not split: "\xc3\xa9" does not fit after "abc" */
	text_line_with(&o, -1, "file", "{\"op\":\"write\",\"path\":\"/a\",\"bytes\":5,"
		       "\"content\":\"abc\xc3\xa9\"}", "FS WRITE /a (5 B) \"abc\"...");
	/* exactly the limit: nothing cut */
	text_line_with(&o, -1, "file", "{\"op\":\"write\",\"path\":\"/a\",\"bytes\":4,"
		       "\"content\":\"abcd\"}", "FS WRITE /a (4 B) \"abcd\"");
	/* the default is 64 bytes */
	text_line("file", "{\"op\":\"write\",\"path\":\"/a\",\"bytes\":70,\"content\":"
		  "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
		  "FS WRITE /a (70 B) "
		  "\"0123456789012345678901234567890123456789012345678901234567890123\"...");
}

static void test_text_header(void **state)
{
	struct adi_event *ev = mk_text("file", "{\"op\":\"unlink\",\"path\":\"/a\"}");

	(void)state;
	ev->tid = 4214;
	expect_text(NULL, ev, "15:10:41.123456 [PID 4213/4214 sh] FS UNLINK /a\n");
	ev->comm[0] = '\0';
	ev->tid = 0;
	expect_text(NULL, ev, "15:10:41.123456 [PID 4213] FS UNLINK /a\n");
	strcpy(ev->comm, "a\nb");
	ev->duration_ns = 2000000;
	expect_text(NULL, ev, "15:10:41.123456 [PID 4213 a\\nb] FS UNLINK /a [2 ms]\n");
	adi_event_free(ev);
}

static void test_text_process(void **state)
{
	(void)state;
	text_line("process", "{\"op\":\"exec\",\"ppid\":1,"
		  "\"argv\":[\"sh\",\"-c\",\"echo hi > /tmp/a\"]}",
		  "EXEC sh -c \"echo hi > /tmp/a\"");
	text_line("process", "{\"op\":\"exec\",\"argv\":[\"printf\",\"a\\\"b\",\"\",\"x\\\\y\",\"--k=v\"]}",
		  "EXEC printf \"a\\\"b\" \"\" \"x\\\\y\" --k=v");
	text_line("process", "{\"op\":\"exec\"}", "EXEC ?");
	text_line("process", "{\"op\":\"exec\",\"argv\":[]}", "EXEC");
	text_line("process", "{\"op\":\"fork\",\"ppid\":100}", "FORK from 100");
	text_line("process", "{\"op\":\"fork\"}", "FORK from ?");
	text_line("process", "{\"op\":\"exit\",\"exit_code\":0,\"signal\":null}", "EXIT 0");
	text_line("process", "{\"op\":\"exit\",\"exit_code\":3}", "EXIT 3");
	text_line("process", "{\"op\":\"exit\",\"exit_code\":null,\"signal\":9}", "EXIT signal 9");
	text_line("process", "{\"op\":\"exit\",\"signal\":\"SIGKILL\"}", "EXIT signal SIGKILL");
	text_line("process", "{\"op\":\"exit\"}", "EXIT ?");
	/* no layout for it: everything as JSON */
	text_line("process", "{}", "PROCESS {}");
	text_line("process", "{\"op\":\"setuid\",\"uid\":0}",
		  "PROCESS {\"op\":\"setuid\",\"uid\":0}");
}

static void test_text_connection(void **state)
{
	(void)state;
	text_line("connection", "{\"op\":\"connect\",\"conn\":{\"transport\":\"tcp\","
		  "\"local\":\"127.0.0.1:5000\",\"remote\":\"127.0.0.1:80\",\"role\":\"client\","
		  "\"id\":1},\"error\":\"ECONNREFUSED\"}",
		  "NET CONNECT tcp 127.0.0.1:5000 -> 127.0.0.1:80 ! ECONNREFUSED");
	text_line("connection", "{\"op\":\"accept\",\"conn\":{\"transport\":\"tcp\","
		  "\"local\":\"[::1]:80\",\"remote\":\"[::1]:41000\",\"role\":\"server\"},"
		  "\"error\":null}",
		  "NET ACCEPT tcp [::1]:80 -> [::1]:41000");
	text_line("connection", "{\"op\":\"close\",\"conn\":{\"transport\":\"unix\","
		  "\"local\":\"\",\"remote\":\"/run/x.sock\"}}",
		  "NET CLOSE unix -> /run/x.sock");
	text_line("connection", "{}", "NET ? ? ? -> ?");
	text_line("connection", "{\"op\":\"connect\",\"conn\":null}", "NET CONNECT ? ? -> ?");
}

static void test_text_tcp_stream(void **state)
{
	(void)state;
	text_line_with(NULL, 2500000, "tcp_stream",
		       "{\"conn\":{\"transport\":\"tcp\",\"local\":\"10.0.0.1:5000\","
		       "\"remote\":\"10.0.0.2:6379\"},\"protocol\":\"unknown\","
		       "\"bytes_out\":14,\"bytes_in\":2150,"
		       "\"preview_out\":\"PING\\r\\n\",\"preview_in\":\"+PONG\\r\\n\"}",
		       "TCP 10.0.0.1:5000 -> 10.0.0.2:6379 "
		       "out 14 B in 2.1 KiB [2.5 ms]\n"
		       "    > PING\\r\\n\n"
		       "    < +PONG\\r\\n");
	/* only what is there: no in preview, a binary out preview */
	text_line("tcp_stream", "{\"conn\":{\"local\":\"a:1\",\"remote\":\"b:2\"},"
		  "\"protocol\":\"tls\",\"bytes_out\":3,\"bytes_in\":0,"
		  "\"preview_out\":\"base64://4A\",\"preview_in\":\"\"}",
		  "TCP a:1 -> b:2 out 3 B in 0 B (tls)\n    > <binary 3 B>");
	text_line("tcp_stream", "{\"conn\":{\"local\":\"a:1\",\"remote\":\"b:2\"},"
		  "\"bytes_out\":1,\"bytes_in\":2,\"gaps\":2,\"gap_bytes\":100}",
		  "TCP a:1 -> b:2 out 1 B in 2 B gaps 2");
	text_line("tcp_stream", "{}", "TCP ? -> ? out ? in ?");
}

/* DNS: the line; no response; four answers then "+N more", TC and
 * retries. A datagram: its direction, ends and size, its preview below. */
static void test_text_dns_udp(void **state)
{
	(void)state;
	text_line_with(NULL, 400000, "dns_query",
		       "{\"name\":\"example.test\",\"qtype\":\"A\",\"rcode\":\"NOERROR\","
		       "\"answers\":[\"127.0.0.1\",\"::1\"],\"flags\":[\"RD\",\"RA\"]}",
		       "DNS A example.test -> 127.0.0.1, ::1 (NOERROR) [0.4 ms]");
	text_line("dns_query", "{\"name\":\"slow.test\",\"qtype\":\"AAAA\",\"rcode\":null,"
		  "\"answers\":null,\"flags\":null,\"retries\":2,\"unanswered\":true}",
		  "DNS AAAA slow.test -> no response retries 2");
	text_line("dns_query", "{\"name\":\"big.test\",\"qtype\":\"A\",\"rcode\":\"NOERROR\","
		  "\"answers\":[\"1.0.0.1\",\"1.0.0.2\",\"1.0.0.3\",\"1.0.0.4\",\"1.0.0.5\",\"1.0.0.6\"],"
		  "\"flags\":[\"TC\",\"RD\"]}",
		  "DNS A big.test -> 1.0.0.1, 1.0.0.2, 1.0.0.3, 1.0.0.4 +2 more (NOERROR) (TC)");
	text_line("dns_query", "{\"name\":\"nope.test\",\"qtype\":\"MX\",\"rcode\":\"NXDOMAIN\","
		  "\"answers\":[]}", "DNS MX nope.test -> (NXDOMAIN)");
	text_line("udp_datagram", "{\"conn\":{\"transport\":\"udp\",\"local\":\"127.0.0.1:5000\","
		  "\"remote\":\"127.0.0.1:9\"},\"direction\":\"out\",\"bytes\":4,"
		  "\"preview\":\"ping\"}",
		  "UDP out 127.0.0.1:5000 -> 127.0.0.1:9 (4 B)\n    | ping");
	text_line("udp_datagram", "{\"conn\":{\"transport\":\"other\",\"local\":\"/dev/log\","
		  "\"remote\":\"\"},\"direction\":\"in\",\"bytes\":4,\"preview\":\"<13>\","
		  "\"truncated\":true}",
		  "DGRAM in /dev/log <- \"\" (4 B) truncated\n    | <13>");
}

static void test_text_summary(void **state)
{
	(void)state;
	text_line("trace_summary", "{\"events\":{\"file\":3,\"process\":2},\"dropped\":0,"
		  "\"truncated\":1,\"duration_ms\":1234.5,\"backend\":\"ebpf\"}",
		  "SUMMARY 5 events (file=3 process=2), dropped 0, truncated 1, "
		  "1234.5 ms, backend ebpf");
	text_line("trace_summary", "{\"events\":{\"file\":1},\"dropped\":7,"
		  "\"truncated\":0,\"duration_ms\":10,\"backend\":\"replay\"}",
		  "SUMMARY 1 events (file=1), DROPPED 7 EVENTS, truncated 0, 10 ms, backend replay");
	text_line("trace_summary", "{}", "SUMMARY 0 events, dropped ?, truncated ?, ? ms, backend ?");
	text_line("trace_summary", "{\"events\":{},\"dropped\":0,\"truncated\":0,"
		  "\"backend\":\"ebpf\",\"tls\":{\"plaintext\":\"on\",\"libraries\":[],"
		  "\"connections\":3,\"with_plaintext\":2,\"plaintext_calls\":9,"
		  "\"without_plaintext\":[{\"conn\":4,\"why\":\"go\"}]}}",
		  "SUMMARY 0 events, dropped 0, truncated 0, ? ms, backend ebpf, "
		  "TLS connections 3 (1 without plaintext)");
	text_line("trace_summary", "{\"events\":{},\"dropped\":0,\"truncated\":0,"
		  "\"backend\":\"ebpf\",\"tls\":{\"plaintext\":\"off\",\"connections\":1,"
		  "\"with_plaintext\":0}}",
		  "SUMMARY 0 events, dropped 0, truncated 0, ? ms, backend ebpf, "
		  "TLS connections 1 (plaintext off)");
	/* the summary's own duration is in its fields: no [.. ms] suffix */
	text_line_with(NULL, 250000, "trace_summary", "{\"events\":{},\"dropped\":0,"
		       "\"truncated\":0,\"duration_ms\":0.25,\"backend\":\"ebpf\"}",
		       "SUMMARY 0 events, dropped 0, truncated 0, 0.25 ms, backend ebpf");
}

static void test_text_other_kinds(void **state)
{
	struct adi_event *ev;

	(void)state;
	/* a kind this build has no layout for: its fields as JSON */
	text_line_with(NULL, 1500000, "kafka_produce", "{\"topic\":\"t\",\"n\":1}",
		       "KAFKA_PRODUCE {\"topic\":\"t\",\"n\":1} [1.5 ms]");
	/* no kind at all */
	ev = mk_text("x", "{}");
	ev->kind = NULL;
	expect_text(NULL, ev, "15:10:41.123456 [PID 4213 sh] ? {}\n");
	adi_event_free(ev);
}

static void test_text_http(void **state)
{
	(void)state;
	text_line_with(NULL, 1500000, "http_request",
		       "{\"method\":\"GET\",\"url\":\"/x?a=1\",\"host\":\"h:80\","
		       "\"status\":200,\"req_body\":\"\",\"resp_body\":\"hello\\n\","
		       "\"req_bytes\":0,\"resp_bytes\":2150,\"truncated\":false,"
		       "\"conn\":{\"role\":\"client\"}}",
		       "HTTP GET h:80/x?a=1 -> 200 (req 0 B, resp 2.1 KiB) [1.5 ms]\n    < hello\\n");
	/* served by the traced task; no response; flags */
	text_line("http_request", "{\"method\":\"POST\",\"url\":\"/up\",\"host\":\"h\","
		  "\"status\":null,\"req_bytes\":5,\"resp_bytes\":0,\"truncated\":true,"
		  "\"incomplete\":true,\"conn\":{\"role\":\"server\"}}",
		  "HTTP SERVED POST /up -> no response (req 5 B, resp 0 B) truncated incomplete");
	text_line("http_request", "{\"method\":\"GET\",\"url\":\"/ws\",\"status\":101,"
		  "\"upgrade\":\"websocket\",\"req_bytes\":0,\"resp_bytes\":0}",
		  "HTTP GET /ws -> 101 (req 0 B, resp 0 B) upgrade websocket");
	text_line("http_request", "{}", "HTTP ? ? -> no response (req ?, resp ?)");
	/* a body the client closed without reading: said in the sizes, not
	 * as a loss; one that was also cut keeps its flags */
	text_line("http_request", "{\"method\":\"GET\",\"url\":\"/missing\",\"host\":\"h\","
		  "\"status\":404,\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,"
		  "\"incomplete\":true,\"resp_unread\":335}",
		  "HTTP GET h/missing -> 404 (req 0 B, resp 0 B, 335 B unread)");
	text_line("http_request", "{\"method\":\"GET\",\"url\":\"/c\",\"host\":\"h\","
		  "\"status\":200,\"req_bytes\":0,\"resp_bytes\":3,\"truncated\":true,"
		  "\"incomplete\":true,\"resp_unread\":null}",
		  "HTTP GET h/c -> 200 (req 0 B, resp 3 B, rest unread) truncated incomplete");
	/* a TLS connection's exchange says so; a login over SSL too */
	text_line("http_request", "{\"method\":\"GET\",\"url\":\"/\",\"host\":\"h\","
		  "\"status\":200,\"req_bytes\":0,\"resp_bytes\":5,\"tls\":{\"version\":"
		  "\"TLSv1.3\",\"sni\":\"h\"}}",
		  "HTTP GET h/ -> 200 (req 0 B, resp 5 B) TLSv1.3");
	text_line("db_session", "{\"db\":\"postgres\",\"op\":\"login\",\"user\":\"u\","
		  "\"database\":\"d\",\"error\":null,\"tls\":true}",
		  "DB POSTGRES LOGIN u@d -> ok TLS");
}

static void test_text_sql(void **state)
{
	(void)state;
	text_line_with(NULL, 250000, "sql_query",
		       "{\"db\":\"postgres\",\"sql\":\"select $1\","
		       "\"params\":[\"5\",null],\"statement\":null,\"columns\":[\"a\"],"
		       "\"rows\":1,\"command_tag\":\"SELECT 1\",\"error\":null,"
		       "\"tx\":\"in_tx\"}",
		       "SQL POSTGRES select $1 -> SELECT 1 (1 rows) in_tx [0.25 ms]\n"
		       "    params [\"5\",null]");
	text_line("sql_query", "{\"db\":\"mysql\",\"sql\":\"selec\",\"params\":[],"
		  "\"columns\":null,\"error\":{\"code\":\"1064\",\"message\":\"bad\"},"
		  "\"tx\":\"idle\"}",
		  "SQL MYSQL selec -> error 1064 bad");
	text_line("sql_query", "{\"db\":\"postgres\",\"sql\":null,\"statement\":\"s1\","
		  "\"command_tag\":null,\"tx\":null,\"truncated\":true}",
		  "SQL POSTGRES EXECUTE s1 -> no reply truncated");
	text_line("sql_query", "{\"db\":\"mysql\",\"sql\":null,\"command\":\"COM_PING\","
		  "\"tx\":\"idle\"}", "SQL MYSQL COM_PING -> ok");
}

/* Redis as redis-cli shows it (issue 21: a command printed as a JSON blob). */
static void test_text_redis(void **state)
{
	(void)state;
	text_line_with(NULL, 1500000, "redis_command",
		       "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":null,\"error\":null,"
		       "\"req_bytes\":20,\"resp_bytes\":5,\"truncated\":false}",
		       "REDIS GET k -> (nil) [1.5 ms]");
	text_line("redis_command", "{\"command\":\"SET\",\"args\":[\"user:1\",\"a b\"],"
		  "\"reply\":\"OK\",\"error\":null}", "REDIS SET user:1 \"a b\" -> \"OK\"");
	text_line("redis_command", "{\"command\":\"INCR\",\"args\":[\"s\"],"
		  "\"reply\":{\"error\":\"ERR not an integer\"},\"error\":\"ERR not an integer\"}",
		  "REDIS INCR s -> ERR not an integer");
	text_line("redis_command", "{\"command\":\"INCR\",\"args\":[\"n\"],\"reply\":5}",
		  "REDIS INCR n -> (integer) 5");
	text_line("redis_command", "{\"command\":\"LRANGE\",\"args\":[\"l\",\"0\",\"-1\"],"
		  "\"reply\":[\"a\",\"b\"]}", "REDIS LRANGE l 0 -1 -> [\"a\",\"b\"]");
	text_line("redis_command", "{\"command\":null,\"args\":[],"
		  "\"reply\":[\"message\",\"ch\",\"hi\"],\"push\":true}",
		  "REDIS PUSH: [\"message\",\"ch\",\"hi\"]");
	text_line("redis_command", "{\"command\":\"CLIENT SETNAME\",\"args\":[\"x\"],"
		  "\"reply\":\"OK\",\"incomplete\":true}",
		  "REDIS CLIENT SETNAME x -> \"OK\" incomplete");
	text_line("redis_command", "{}", "REDIS ? -> no reply");
}

/* A long argument list and a long reply stop at the preview. */
static void test_text_redis_preview(void **state)
{
	struct adi_sink_opts o = { .content_preview = 4 };

	(void)state;
	text_line_with(&o, -1, "redis_command", "{\"command\":\"MSET\",\"args\":[\"a\",\"1\","
		       "\"bcdefgh\",\"2\",\"c\",\"3\"],\"reply\":\"abcdefgh\"}",
		       "REDIS MSET a 1 bcdefg... ...(+3) -> \"abcd\"...");
	text_line_with(&o, -1, "redis_command", "{\"command\":\"KEYS\",\"args\":[\"*\"],"
		       "\"reply\":[\"aaaa\",\"b\"]}",
		       "REDIS KEYS * -> [\"aa... (2 items)");
}

/* memcached and the brokers read as their protocols do (not a JSON blob) */
static void test_text_memcached_brokers(void **state)
{
	(void)state;
	text_line_with(NULL, 300000, "memcached_command",
		       "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"k1\",\"k2\"],"
		       "\"args\":[],\"status\":\"END\",\"error\":null,\"values\":[{\"key\":\"k1\","
		       "\"flags\":0,\"bytes\":3,\"value\":\"abc\"}],\"hits\":1,\"misses\":1,"
		       "\"req_bytes\":12,\"resp_bytes\":30,\"truncated\":false}",
		       "MEMCACHED get k1 k2 -> END 1 hit, 1 miss [0.3 ms]");
	text_line("memcached_command", "{\"command\":\"set\",\"protocol\":\"text\","
		  "\"keys\":[\"a b\"],\"args\":[],\"flags\":0,\"exptime\":0,\"value_bytes\":5,"
		  "\"value\":\"hello\",\"status\":\"STORED\",\"error\":null}",
		  "MEMCACHED set \"a b\" (5 B) -> STORED");
	text_line("memcached_command", "{\"command\":\"incr\",\"protocol\":\"text\","
		  "\"keys\":[\"n\"],\"args\":[\"1\"],\"status\":null,\"error\":null,\"result\":6}",
		  "MEMCACHED incr n 1 -> 6");
	text_line("memcached_command", "{\"command\":\"set\",\"protocol\":\"text\","
		  "\"keys\":[\"k\"],\"args\":[],\"value_bytes\":1,\"noreply\":true,"
		  "\"status\":null,\"error\":null}", "MEMCACHED set k (1 B) noreply");
	text_line("memcached_command", "{\"command\":\"getkq\",\"protocol\":\"binary\","
		  "\"keys\":[\"k\"],\"args\":[],\"status\":\"KEY_NOT_FOUND\","
		  "\"error\":\"Not found\",\"incomplete\":true}",
		  "MEMCACHED/bin getkq k -> KEY_NOT_FOUND Not found incomplete");
	text_line("memcached_command", "{\"command\":\"bogus\",\"keys\":[],\"args\":[],"
		  "\"status\":\"ERROR\",\"error\":\"ERROR\"}", "MEMCACHED bogus -> ERROR");
	text_line("memcached_command", "{}", "MEMCACHED ? -> no reply");

	text_line("message_op", "{\"system\":\"nats\",\"op\":\"PUB\",\"destination\":"
		  "\"orders.new\",\"payload_bytes\":5,\"payload\":\"hello\",\"error\":null,"
		  "\"req_bytes\":30,\"resp_bytes\":0,\"truncated\":false}",
		  "NATS PUB orders.new (5 B \"hello\")");
	text_line_with(NULL, 1000000, "message_op", "{\"system\":\"kafka\",\"op\":\"Produce\","
		       "\"destination\":\"t1\",\"payload_bytes\":70,\"payload\":\"v1\","
		       "\"error\":null,\"reply\":{\"throttle_time_ms\":0},\"req_bytes\":120,"
		       "\"resp_bytes\":50}",
		       "KAFKA Produce t1 (70 B \"v1\") -> ok [1 ms]");
	text_line_with(NULL, 2000000, "message_op", "{\"system\":\"amqp\",\"op\":"
		       "\"queue.declare\",\"destination\":\"jobs\",\"channel\":1,\"error\":null,"
		       "\"reply\":{\"op\":\"queue.declare-ok\",\"arguments\":{}},"
		       "\"req_bytes\":20,\"resp_bytes\":20}",
		       "AMQP queue.declare jobs -> queue.declare-ok [2 ms]");
	text_line_with(NULL, 500000, "message_op", "{\"system\":\"mqtt\",\"op\":\"PUBLISH\","
		       "\"destination\":\"t/1\",\"qos\":1,\"payload_bytes\":2,\"payload\":\"hi\","
		       "\"error\":null,\"reason_code\":0,\"req_bytes\":9,\"resp_bytes\":4}",
		       "MQTT PUBLISH t/1 qos 1 (2 B \"hi\") -> ok [0.5 ms]");
	text_line_with(NULL, 500000, "message_op", "{\"system\":\"kafka\",\"op\":\"Metadata\","
		       "\"destination\":null,\"payload_bytes\":null,\"payload\":null,"
		       "\"error\":\"UNKNOWN_TOPIC_OR_PARTITION\",\"req_bytes\":20,\"resp_bytes\":40}",
		       "KAFKA Metadata -> error UNKNOWN_TOPIC_OR_PARTITION [0.5 ms]");
	text_line_with(NULL, 500000, "message_op", "{\"system\":\"nats\",\"op\":\"PING\","
		       "\"destination\":null,\"payload_bytes\":null,\"error\":null,"
		       "\"req_bytes\":6,\"resp_bytes\":0,\"incomplete\":true}",
		       "NATS PING -> no answer incomplete [0.5 ms]");
}

static void test_text_mongo(void **state)
{
	(void)state;
	text_line_with(NULL, 2000000, "mongo_command",
		       "{\"op\":\"find\",\"database\":\"shop\",\"collection\":\"orders\","
		       "\"command\":{\"find\":\"orders\",\"filter\":{\"a\":1}},"
		       "\"reply\":{\"cursor\":{\"firstBatch\":[{\"a\":1},{\"a\":1}]},\"ok\":1.0},"
		       "\"ok\":true,\"error\":null,\"request_id\":7,\"truncated\":false}",
		       "MONGO find shop.orders -> ok (2 docs) [2 ms]\n"
		       "    > {\"find\":\"orders\",\"filter\":{\"a\":1}}\n"
		       "    < {\"cursor\":{\"firstBatch\":[{\"a\":1},{\"a\":1}]},\"ok\":1.0}");
	text_line("mongo_command", "{\"op\":\"insert\",\"database\":\"shop\","
		  "\"collection\":\"orders\",\"reply\":{\"n\":1,\"ok\":1.0},\"ok\":true}",
		  "MONGO insert shop.orders -> ok (n=1)\n    < {\"n\":1,\"ok\":1.0}");
	text_line("mongo_command", "{\"op\":\"find\",\"database\":\"db\",\"collection\":null,"
		  "\"ok\":false,\"error\":\"bad\"}", "MONGO find db -> error bad");
	text_line("mongo_command", "{\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		  "\"ok\":null,\"unacknowledged\":true}", "MONGO insert d.c -> unacknowledged");
	text_line("mongo_command", "{}", "MONGO ? -> no reply");
}

static void test_text_grpc(void **state)
{
	(void)state;
	text_line("grpc_call", "{\"method\":\"/pkg.Greeter/SayHello\",\"status\":0,"
		  "\"grpc_message\":null,\"http_status\":200,\"req_messages\":[{\"1\":\"world\"}],"
		  "\"resp_messages\":[{\"1\":\"Hello world\"}],\"req_bytes\":12,\"resp_bytes\":18,"
		  "\"truncated\":false,\"conn\":{\"role\":\"client\"}}",
		  "GRPC /pkg.Greeter/SayHello -> OK (req 12 B, resp 18 B)\n"
		  "    > {\"1\":\"world\"}\n    < {\"1\":\"Hello world\"}");
	text_line("grpc_call", "{\"method\":\"/p.S/M\",\"status\":5,\"grpc_message\":\"no such user\","
		  "\"req_bytes\":1,\"resp_bytes\":0,\"conn\":{\"role\":\"server\"}}",
		  "GRPC SERVED /p.S/M -> NOT_FOUND: no such user (req 1 B, resp 0 B)");
	text_line("grpc_call", "{\"method\":\"/p.S/M\",\"status\":null,\"http_status\":503}",
		  "GRPC /p.S/M -> no status, HTTP 503 (req ?, resp ?)");
	text_line("grpc_call", "{}", "GRPC ? -> no response (req ?, resp ?)");
}

/* (DNS and datagram lines: test_text_dns_udp) */
static void test_text_unix_and_exec(void **state)
{
	(void)state;
	text_line_with(NULL, 3000000, "db_session", "{\"db\":\"postgres\",\"op\":\"login\","
		       "\"database\":\"shop\",\"user\":\"app\",\"error\":null}",
		       "DB POSTGRES LOGIN app@shop -> ok [3 ms]");
	text_line("db_session", "{\"db\":\"mysql\",\"op\":\"login\",\"database\":null,"
		  "\"user\":\"bob\",\"error\":{\"code\":\"1045\",\"message\":\"denied\"}}",
		  "DB MYSQL LOGIN bob -> error 1045 denied");
	text_line("db_session", "{\"db\":\"postgres\",\"op\":\"quit\",\"database\":null,"
		  "\"user\":null,\"error\":null}", "DB POSTGRES QUIT");
	text_line("tcp_stream", "{\"conn\":{\"transport\":\"unix\",\"local\":\"\","
		  "\"remote\":\"/run/x.sock\"},\"bytes_out\":1,\"bytes_in\":2}",
		  "UNIX -> /run/x.sock out 1 B in 2 B");
	text_line("process", "{\"op\":\"exec\",\"argv\":[\"psql\",\"-h\",\"x\"],"
		  "\"interpreter\":[\"/usr/bin/perl\"]}", "EXEC psql -h x (via /usr/bin/perl)");
	text_line("process", "{\"op\":\"exit\",\"signal\":\"SIGSEGV\",\"core_dumped\":true}",
		  "EXIT signal SIGSEGV (core dumped)");
}

/* Emit the events in turn into one sink; what came out. */
static char *render_all(const struct adi_sink_opts *o, struct adi_event **evs, int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_sink *s;

	assert_non_null(f);
	s = adi_sink_text_new(f, o);
	assert_non_null(s);
	for (int i = 0; i < n; i++)
		assert_int_equal(adi_sink_emit(s, evs[i]), 0);
	adi_sink_free(s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The runtime's own file events are counted, not shown, unless asked. */
static void test_text_runtime_hidden(void **state)
{
	struct adi_event *ev[3];
	struct adi_sink_opts all = { .show_runtime = true };
	char *got;

	(void)state;
	ev[0] = mk_text("file", "{\"op\":\"open\",\"path\":\"/etc/ld.so.cache\",\"fd\":3,"
			"\"runtime\":\"loader\"}");
	ev[1] = mk_text("file", "{\"op\":\"unlink\",\"path\":\"/a\"}");
	ev[2] = mk_text("trace_summary", "{\"events\":{\"file\":2},\"dropped\":0,"
			"\"truncated\":0,\"duration_ms\":1,\"backend\":\"ebpf\"}");
	got = render_all(NULL, ev, 3);
	assert_string_equal(got, "15:10:41.123456 [PID 4213 sh] FS UNLINK /a\n"
		"1 runtime event hidden (loader, locale, modules, /proc/self, /dev/tty, "
		"inherited fds closed, nscd probes) -- --all shows them\n"
		"PROCESSES 1\n"
		"  sh(4213) -> running [0 ms]: 2 file events\n"
		"15:10:41.123456 [PID 4213 sh] SUMMARY 2 events (file=2), dropped 0, "
		"truncated 0, 1 ms, backend ebpf\n");
	free(got);
	got = render_all(&all, ev, 2);
	assert_string_equal(got, "15:10:41.123456 [PID 4213 sh] FS OPEN /etc/ld.so.cache = fd 3\n"
		"15:10:41.123456 [PID 4213 sh] FS UNLINK /a\n");
	free(got);
	/* no summary (a trace cut short): the count comes at the end */
	got = render_all(NULL, ev, 1);
	assert_string_equal(got, "1 runtime event hidden (loader, locale, modules, "
		"/proc/self, /dev/tty, inherited fds closed, nscd probes) -- --all shows them\n");
	free(got);
	for (int i = 0; i < 3; i++)
		adi_event_free(ev[i]);
}

/* -r (delta, as strace -r) and --time rel: seconds with microseconds. */
static void test_text_time_modes(void **state)
{
	struct adi_sink_opts rel = { .time = ADI_TEXT_TIME_REL };
	struct adi_sink_opts delta = { .time = ADI_TEXT_TIME_DELTA };
	struct adi_event *ev[3];
	char *got;

	(void)state;
	for (int i = 0; i < 3; i++)
		ev[i] = mk_text("file", "{\"op\":\"unlink\",\"path\":\"/a\"}");
	ev[1]->ts_ns += 1500000;      /* +1.5 ms */
	ev[2]->ts_ns += 2001500000;   /* +2.0015 s */
	got = render_all(&rel, ev, 3);
	assert_string_equal(got, "+0.000000 [PID 4213 sh] FS UNLINK /a\n"
		"+0.001500 [PID 4213 sh] FS UNLINK /a\n"
		"+2.001500 [PID 4213 sh] FS UNLINK /a\n");
	free(got);
	got = render_all(&delta, ev, 3);
	assert_string_equal(got, "+0.000000 [PID 4213 sh] FS UNLINK /a\n"
		"+0.001500 [PID 4213 sh] FS UNLINK /a\n"
		"+2.000000 [PID 4213 sh] FS UNLINK /a\n");
	free(got);
	for (int i = 0; i < 3; i++)
		adi_event_free(ev[i]);
}

static void test_text_color(void **state)
{
	struct adi_sink_opts o = { .color = 1 };
	struct adi_event *ev = mk_text("file", "{\"op\":\"unlink\",\"path\":\"/a\","
					       "\"error\":\"EPERM\"}");

	(void)state;
	expect_text(&o, ev, "\033[2m15:10:41.123456\033[0m [PID 4213 sh] "
			    "\033[36mFS UNLINK\033[0m /a \033[31m! EPERM\033[0m\n");
	adi_event_free(ev);
	ev = mk_text("trace_summary", "{\"events\":{},\"dropped\":2,\"truncated\":0,"
				      "\"duration_ms\":1,\"backend\":\"ebpf\"}");
	expect_text(&o, ev, "\033[2m15:10:41.123456\033[0m [PID 4213 sh] "
			    "\033[1mSUMMARY\033[0m 0 events, \033[1;31mDROPPED 2 EVENTS\033[0m, "
			    "truncated 0, 1 ms, backend ebpf\n");
	adi_event_free(ev);
}

/* A full disk: the error must come back from emit (unbuffered) or from
 * flush (buffered), as -ENOSPC, for both sinks. A connection's line: the
 * text timeline writes it at once (a file event's line may wait for the
 * focus to decide, test_focus.c). */
static void full_disk(struct adi_sink *(*mk_sink)(FILE *, const struct adi_sink_opts *))
{
	struct adi_event *ev = mk_text("connection", "{\"op\":\"close\",\"error\":null}");
	struct adi_sink *s;
	FILE *f;

	f = fopen("/dev/full", "w");
	if (!f)
		skip();
	s = mk_sink(f, NULL);
	assert_non_null(s);
	/* buffered: the line fits the stdio buffer, the loss shows at flush */
	assert_int_equal(adi_sink_emit(s, ev), 0);
	assert_int_equal(adi_sink_flush(s), -ENOSPC);
	adi_sink_free(s);
	fclose(f);

	f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	s = mk_sink(f, NULL);
	assert_int_equal(adi_sink_emit(s, ev), -ENOSPC);
	/* reported once, then the sink keeps going */
	assert_int_equal(adi_sink_emit(s, ev), -ENOSPC);
	adi_sink_free(s);
	fclose(f);
	adi_event_free(ev);
}

static void test_write_errors(void **state)
{
	(void)state;
	full_disk(json_new);
	full_disk(adi_sink_text_new);
}

/* n lines of ev through a JSON sink batching into f (after skip bytes
 * already there), read back: every one whole, in order. Closes f. */
static void json_batch_file(FILE *f, const struct adi_event *ev, size_t n, long skip)
{
	static char big[1 << 20];
	struct adi_sink *s;
	char *want, *l = NULL;
	size_t cap = 0, lines = 0, line;
	ssize_t k;

	assert_non_null(f);
	setvbuf(f, big, _IOFBF, sizeof(big));
	s = adi_sink_json_new(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(adi_sink_emit(s, ev), 0);
	assert_int_equal(adi_sink_flush(s), 0);
	assert_int_equal(adi_sink_lost(s), 0);
	adi_sink_free(s);
	want = render(json_new, NULL, ev);
	line = strlen(want);
	assert_int_equal(lseek(fileno(f), 0, SEEK_END), (off_t)(skip + (long)(n * line)));
	assert_int_equal(fseek(f, skip, SEEK_SET), 0);
	while ((k = getline(&l, &cap, f)) > 0) {
		assert_string_equal(l, want);
		lines++;
	}
	assert_int_equal(lines, n);
	free(l);
	free(want);
	fclose(f);
}

/* JSON Lines into a stream with a big buffer (a trace file): the sink
 * batches the lines itself; a failed write reports the error and counts
 * every line it lost, then the sink keeps going. */
static void test_json_batch(void **state)
{
	struct adi_event *ev = mk_text("connection", "{\"op\":\"close\",\"error\":null}");
	static char big[1 << 20];
	struct adi_sink *s;
	size_t line, n;
	FILE *f;
	char *got;

	(void)state;
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	setvbuf(f, big, _IOFBF, sizeof(big));
	s = adi_sink_json_new(f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(adi_sink_emit(s, ev), 0);
	assert_int_equal(adi_sink_lost(s), 0);
	assert_int_equal(adi_sink_flush(s), -ENOSPC);
	assert_int_equal(adi_sink_lost(s), 3);
	/* past the batch (1 MiB) the write happens at emit */
	got = render(json_new, NULL, ev);
	line = strlen(got);
	free(got);
	n = sizeof(big) / line + 1;
	for (size_t i = 0; i + 1 < n; i++)
		assert_int_equal(adi_sink_emit(s, ev), 0);
	assert_int_equal(adi_sink_emit(s, ev), -ENOSPC);
	assert_int_equal(adi_sink_lost(s), 3 + n);
	assert_int_equal(adi_sink_flush(s), 0); /* nothing left */
	adi_sink_free(s);
	fclose(f);

	/* a writable file gets every line, whole, in order: in /tmp, on
	 * tmpfs, and appended after what a file opened to append held (the
	 * uncached writes past ADI_OUT_CACHED: test_outfile) */
	json_batch_file(tmpfile(), ev, n + 5, 0);
	{
		char path[] = "/dev/shm/adi-test-sinks-XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		unlink(path);
		json_batch_file(fdopen(fd, "w+"), ev, n + 5, 0);
	}
	{
		char path[] = "/tmp/adi-test-sinks-XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "{}\n", 3), 3);
		close(fd);
		f = fopen(path, "a+");
		unlink(path);
		json_batch_file(f, ev, n + 5, 3);
	}
	adi_event_free(ev);
}

static void test_wrappers(void **state)
{
	struct adi_event *ev = mk("file", 0);
	struct adi_sink *s = adi_sink_json_new(stdout);

	(void)state;
	assert_int_equal(adi_sink_emit(NULL, ev), -EINVAL);
	assert_int_equal(adi_sink_emit(s, NULL), -EINVAL);
	assert_int_equal(adi_sink_flush(NULL), -EINVAL);
	adi_sink_free(NULL);
	adi_sink_free(s);
	errno = 0;
	assert_null(adi_sink_json_new(NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(adi_sink_text_new(NULL, NULL));
	assert_int_equal(errno, EINVAL);
	adi_event_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_new),
		cmocka_unit_test(test_event_prepend),
		cmocka_unit_test(test_event_index),
		cmocka_unit_test_setup(test_text_index, setup_utc),
		cmocka_unit_test(test_json_file_event),
		cmocka_unit_test(test_json_common_fields),
		cmocka_unit_test(test_text_file),
		cmocka_unit_test(test_text_file_missing_fields),
		cmocka_unit_test(test_text_preview_limit),
		cmocka_unit_test(test_text_header),
		cmocka_unit_test(test_text_process),
		cmocka_unit_test(test_text_connection),
		cmocka_unit_test(test_text_tcp_stream),
		cmocka_unit_test(test_text_summary),
		cmocka_unit_test(test_text_other_kinds),
		cmocka_unit_test(test_text_http),
		cmocka_unit_test(test_text_sql),
		cmocka_unit_test(test_text_dns_udp),
		cmocka_unit_test(test_text_redis),
		cmocka_unit_test(test_text_redis_preview),
		cmocka_unit_test(test_text_memcached_brokers),
		cmocka_unit_test(test_text_mongo),
		cmocka_unit_test(test_text_grpc),
		cmocka_unit_test(test_text_unix_and_exec),
		cmocka_unit_test(test_text_runtime_hidden),
		cmocka_unit_test(test_text_time_modes),
		cmocka_unit_test(test_text_color),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_json_batch),
		cmocka_unit_test(test_wrappers),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
