/* sink_json.c - the JSON Lines sink: one docs/events.md object per line.
 * Owns the line formatting only; the FILE belongs to the caller. Each line
 * is built in memory and handed to stdio in one write, so a failing disk
 * never gets half a line from us followed by the next event.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif

#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

struct adi_sink_json {
	struct adi_sink base; /* first: the sink methods cast back to this */
	FILE *f;
	char *buf;            /* the line being built, reused (owned) */
	size_t len, cap;
};

/* Write the whole line; 0 or -errno. The stream's error flag is cleared
 * once reported, so the engine can count the loss and keep going. */
static int adi_json_put_line(FILE *f, const char *line, size_t len)
{
	int err = 0;

	errno = 0;
	if (fwrite(line, 1, len, f) != len || ferror(f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(f);
	return err;
}

/* A string literal and its length, for the raw appends. */
#define LIT(s) (s), (sizeof(s) - 1)

#define PUT_LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

/* Builds {head..., fields...}\n into *buf (see sink.h). The common fields
 * come first, in the order of sink.h. */
int adi_event_json_line(const struct adi_event *ev, char **buf, size_t *len, size_t *cap)
{
	char head[160], ts[40];
	char *p = head;
	size_t tsn;
	int err = 0;

	*len = 0;
	err |= adi_j_append_raw(LIT("{\"v\":1,\"kind\":"), buf, len, cap);
	if (ev->kind)
		err |= adi_j_append_str(ev->kind, strlen(ev->kind), buf, len, cap);
	else
		err |= adi_j_append_raw(LIT("null"), buf, len, cap);
	tsn = strnlen(adi_rfc3339(ev->ts_ns, ts, sizeof(ts)), sizeof(ts));
	p = PUT_LIT(p, ",\"timestamp\":\"");
	memcpy(p, ts, tsn);
	p += tsn;
	p = PUT_LIT(p, "\",\"ts_ns\":");
	p = adi_u64_dec(p, ev->ts_ns);
	p = PUT_LIT(p, ",\"duration_ms\":");
	err |= adi_j_append_raw(head, (size_t)(p - head), buf, len, cap);
	if (ev->duration_ns < 0)
		err |= adi_j_append_raw(LIT("null"), buf, len, cap);
	else
		err |= adi_j_append_double((double)ev->duration_ns / 1e6, buf, len, cap);
	p = head;
	p = PUT_LIT(p, ",\"pid\":");
	p = adi_u64_dec(p, ev->pid);
	p = PUT_LIT(p, ",\"tid\":");
	p = adi_u64_dec(p, ev->tid);
	p = PUT_LIT(p, ",\"comm\":");
	err |= adi_j_append_raw(head, (size_t)(p - head), buf, len, cap);
	err |= adi_j_append_str(ev->comm, strnlen(ev->comm, sizeof(ev->comm)), buf, len, cap);
	p = head;
	p = PUT_LIT(p, ",\"cgroup_id\":");
	p = adi_u64_dec(p, ev->cgroup_id);
	p = PUT_LIT(p, ",\"container\":");
	err |= adi_j_append_raw(head, (size_t)(p - head), buf, len, cap);
	if (ev->container[0] == '\0')
		err |= adi_j_append_raw(LIT("null"), buf, len, cap);
	else
		err |= adi_j_append_str(ev->container, strnlen(ev->container,
					sizeof(ev->container)), buf, len, cap);
	if (ev->fields && ev->fields_len) { /* the member list, as written */
		err |= adi_j_append_raw(LIT(","), buf, len, cap);
		err |= adi_j_append_raw(ev->fields, ev->fields_len, buf, len, cap);
	}
	err |= adi_j_append_raw(LIT("}\n"), buf, len, cap);
	return err ? -ENOMEM : 0;
}

/* The line goes into the sink's own buffer, reused from event to event (a
 * trace writes millions of lines: no allocation per line once the buffer
 * has grown), then out with one fwrite. */
static int adi_sink_json_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	int err = adi_event_json_line(ev, &js->buf, &js->len, &js->cap);

	if (err)
		return err;
	return adi_json_put_line(js->f, js->buf, js->len);
}

static int adi_sink_json_flush(struct adi_sink *s)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	int err = 0;

	errno = 0;
	if (fflush(js->f) != 0 || ferror(js->f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(js->f);
	return err;
}

static void adi_sink_json_free(struct adi_sink *s)
{
	if (s)
		free(((struct adi_sink_json *)s)->buf);
	free(s);
}

/* A new JSON Lines sink writing to f (borrowed, never closed); NULL with
 * errno set (EINVAL for no f, ENOMEM). Free it with adi_sink_free. */
struct adi_sink *adi_sink_json_new(FILE *f)
{
	struct adi_sink_json *js;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	js = calloc(1, sizeof(*js));
	if (!js) {
		errno = ENOMEM;
		return NULL;
	}
	js->base.emit = adi_sink_json_emit;
	js->base.flush = adi_sink_json_flush;
	js->base.free = adi_sink_json_free;
	js->f = f;
	return &js->base;
}
