/* sink_json.c - the JSON Lines sink: one events.md object per line.
 * Owns the line formatting only; the FILE belongs to the caller. Each line
 * is built in memory and handed to stdio in one write, so a failing disk
 * never gets half a line from us followed by the next event.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif

#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

struct adi_sink_json {
	struct adi_sink base; /* first: the sink methods cast back to this */
	FILE *f;
};

/* The common fields, in the order of sink.h, as an object. Building them
 * as a tree reuses the writer's escaping and number rules. */
static struct adi_jval *adi_json_head(const struct adi_event *ev)
{
	struct adi_jval *h = adi_j_obj();
	char ts[40];
	int err = 0;

	if (!h)
		return NULL;
	err |= adi_j_set_int(h, "v", ADI_EVENT_VERSION);
	err |= adi_j_set_str(h, "kind", ev->kind);
	err |= adi_j_set_str(h, "timestamp", adi_rfc3339(ev->ts_ns, ts, sizeof(ts)));
	err |= adi_j_set_int(h, "ts_ns", (int64_t)ev->ts_ns);
	if (ev->duration_ns < 0)
		err |= adi_j_set_null(h, "duration_ms");
	else
		err |= adi_j_set_double(h, "duration_ms", (double)ev->duration_ns / 1e6);
	err |= adi_j_set_int(h, "pid", ev->pid);
	err |= adi_j_set_int(h, "tid", ev->tid);
	err |= adi_j_set(h, "comm", adi_j_strn(ev->comm, strnlen(ev->comm, sizeof(ev->comm))));
	err |= adi_j_set_int(h, "cgroup_id", (int64_t)ev->cgroup_id);
	if (ev->container[0] == '\0')
		err |= adi_j_set_null(h, "container");
	else
		err |= adi_j_set(h, "container", adi_j_strn(ev->container,
				 strnlen(ev->container, sizeof(ev->container))));
	if (err) {
		adi_j_free(h);
		return NULL;
	}
	return h;
}

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

/* Emits {head..., fields...}\n. The head ends with '}' and the fields
 * object starts with '{': splicing the two serialisations yields the one
 * object with the keys in contract order. */
static int adi_sink_json_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	struct adi_jval *head;
	char *h = NULL, *fl = NULL, *line = NULL;
	size_t hl, fll = 0, len;
	int err = -ENOMEM;

	head = adi_json_head(ev);
	if (!head)
		goto cleanup;
	h = adi_j_to_string(head);
	if (!h)
		goto cleanup;
	hl = strlen(h);
	if (adi_j_type(ev->fields) == ADI_J_OBJ && adi_j_len(ev->fields) > 0) {
		fl = adi_j_to_string(ev->fields);
		if (!fl)
			goto cleanup;
		fll = strlen(fl);
	} else if (ev->fields && adi_j_type(ev->fields) != ADI_J_OBJ) {
		/* Not an object (a caller bug): keep it visible under one key. */
		char *body = adi_j_to_string(ev->fields);

		if (!body)
			goto cleanup;
		fl = malloc(strlen(body) + sizeof("{\"fields\":}"));
		if (fl)
			fll = (size_t)sprintf(fl, "{\"fields\":%s}", body);
		free(body);
		if (!fl)
			goto cleanup;
	}
	line = malloc(hl + fll + 2);
	if (!line)
		goto cleanup;
	memcpy(line, h, hl - 1); /* without the closing '}' */
	len = hl - 1;
	if (fll) {
		line[len++] = ',';
		memcpy(line + len, fl + 1, fll - 1); /* without the opening '{' */
		len += fll - 1;
	} else {
		line[len++] = '}';
	}
	line[len++] = '\n';
	err = adi_json_put_line(js->f, line, len);
cleanup:
	adi_j_free(head);
	free(h);
	free(fl);
	free(line);
	return err;
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
