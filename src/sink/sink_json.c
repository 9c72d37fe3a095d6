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
	struct adi_rfc3339_memo memo;
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

/* Builds {head..., fields...}\n into *buf (see sink.h). The common fields
 * come first, in the order of sink.h; then the fields text as it is. */
int adi_event_json_line(const struct adi_event *ev, struct adi_rfc3339_memo *memo, char **buf,
			size_t *len, size_t *cap)
{
	char head[160], ts[40];
	char *p = head;
	size_t tsn;
	struct adi_jw w;

	adi_jw_init(&w);
	w.buf = *buf;
	w.cap = *cap;
	adi_jw_put(&w, "{\"v\":1,\"kind\":", 14);
	adi_jw_str(&w, ev->kind);
	tsn = strnlen(adi_rfc3339_memo(memo, ev->ts_ns, ts, sizeof(ts)), sizeof(ts));
#define PUT_LIT(s) (memcpy(p, (s), sizeof(s) - 1), p += sizeof(s) - 1)
	PUT_LIT(",\"timestamp\":\"");
	memcpy(p, ts, tsn);
	p += tsn;
	PUT_LIT("\",\"ts_ns\":");
	p = adi_u64_dec(p, ev->ts_ns);
	PUT_LIT(",\"duration_ms\":");
	adi_jw_put(&w, head, (size_t)(p - head));
	if (ev->duration_ns < 0)
		adi_jw_put(&w, "null", 4);
	else
		adi_jw_double(&w, (double)ev->duration_ns / 1e6);
	p = head;
	PUT_LIT(",\"pid\":");
	p = adi_u64_dec(p, ev->pid);
	PUT_LIT(",\"tid\":");
	p = adi_u64_dec(p, ev->tid);
	PUT_LIT(",\"comm\":");
	adi_jw_put(&w, head, (size_t)(p - head));
	adi_jw_strn(&w, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	p = head;
	PUT_LIT(",\"cgroup_id\":");
	p = adi_u64_dec(p, ev->cgroup_id);
	PUT_LIT(",\"container\":");
	adi_jw_put(&w, head, (size_t)(p - head));
	if (ev->container[0] == '\0')
		adi_jw_put(&w, "null", 4);
	else
		adi_jw_strn(&w, ev->container, strnlen(ev->container, sizeof(ev->container)));
	if (ev->id) { /* 0: a trace read back that had none */
		p = head;
		PUT_LIT(",\"id\":");
		p = adi_u64_dec(p, ev->id);
		adi_jw_put(&w, head, (size_t)(p - head));
	}
	if (ev->fields && ev->fields_len) { /* the member list, as written */
		adi_jw_put(&w, ",", 1);
		adi_jw_put(&w, ev->fields, ev->fields_len);
	}
#undef PUT_LIT
	adi_jw_put(&w, "}\n", 2);
	*buf = w.buf;
	*len = w.len;
	*cap = w.cap;
	return w.err ? -ENOMEM : 0;
}

/* The line goes into the sink's own buffer, reused from event to event (a
 * trace writes millions of lines: no allocation per line once the buffer
 * has grown), then out with one fwrite. */
static int adi_sink_json_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	int err = adi_event_json_line(ev, &js->memo, &js->buf, &js->len, &js->cap);

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
