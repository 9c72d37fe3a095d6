/* sink_json.c - the JSON Lines sink: one docs/events.md object per line.
 * Owns the line formatting only; the FILE belongs to the caller. Each line
 * is built in memory whole, so a failing disk never gets half a line from
 * us followed by the next event. Into a stream with a big buffer of its own
 * (a trace file, common.c), lines are built straight into a batch of the
 * same size and written with write(2) in pieces of that size: copying them
 * once more into stdio's buffer was 3 % of a busy trace's CPU. Into a
 * regular file they go uncached past its first bytes (outfile.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen */
#endif

#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/outfile.h"
#include "../lib/util.h"

/* A stream buffered in pieces at least this big is written in batches,
 * into a buffer that much larger than a batch (a line rarely needs more:
 * the writer grows it when one does). */
#define ADI_JSON_BATCH_MIN (64u << 10)

struct adi_sink_json {
	struct adi_sink base; /* first: the sink methods cast back to this */
	FILE *f;
	int fd;               /* f's descriptor when lines are batched, else -1 */
	size_t batch;         /* bytes written at a time when batched */
	char *buf;            /* the line being built, or the batch (owned) */
	size_t len, cap;
	uint64_t lost;        /* batched lines a failed write lost */
	struct adi_out_state out; /* how the batches go (outfile.h) */
	struct adi_json_memo memo;
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

/* Batched: the first n bytes of the batch out with write(2), the rest
 * moved to the front. A failure loses every line not written whole (and
 * counts them: lost()); 0 or -errno. Whatever stdio holds goes first. */
static int adi_json_write_batch(struct adi_sink_json *js, size_t n)
{
	size_t off = 0, from;
	int err = 0;

	if (fflush(js->f) != 0)
		clearerr(js->f);
	while (off < n) {
		ssize_t k = adi_out_write(js->fd, js->buf + off, n - off, &js->out);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			err = k < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)k;
	}
	if (err) {
		const char *nl = off ? memrchr(js->buf, '\n', off) : NULL;

		from = nl ? (size_t)(nl - js->buf) + 1 : 0;
		for (const char *p = js->buf + from, *e = js->buf + js->len;
		     (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
			js->lost++;
		js->len = 0;
		return err;
	}
	memmove(js->buf, js->buf + n, js->len - n);
	js->len -= n;
	return 0;
}

/* Builds {head..., fields...}\n into *buf (see sink.h). The common fields
 * come first, in the order of sink.h; then the fields text as it is. */
static int adi_event_json_append(const struct adi_event *ev, struct adi_json_memo *memo,
				 char **buf, size_t *len, size_t *cap)
{
	struct adi_json_memo none;
	struct adi_jw w;
	char *p, *t;
	size_t tn;

	if (!memo) { /* a line alone: nothing to keep */
		memset(&none, 0, sizeof(none));
		memo = &none;
	}
	adi_jw_init(&w);
	w.buf = *buf;
	w.cap = *cap;
	w.len = *len;
	/* the fixed parts straight into the line, with room asked for once
	 * per run of them (a timestamp is 30 bytes, a number at most 20) */
#define PUT_LIT(s) (memcpy(p, (s), sizeof(s) - 1), p += sizeof(s) - 1)
#define OPEN(room) (adi_jw_reserve(&w, (room)) ? NULL : (p = w.buf + w.len))
#define CLOSE() (w.len = (size_t)(p - w.buf))
	if (!OPEN(16))
		goto out;
	PUT_LIT("{\"v\":1,\"kind\":");
	CLOSE();
	adi_jw_str(&w, ev->kind);
	if (!OPEN(128))
		goto out;
	PUT_LIT(",\"timestamp\":\"");
	t = p;
	tn = strnlen(adi_rfc3339_memo(&memo->ts, ev->ts_ns, p, 48), 48);
	p += tn;
	PUT_LIT("\",\"ts_ns\":");
	/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": its fraction is ts_ns's last
	 * nine digits */
	p = adi_ts_dec_memo(&memo->ts, p, ev->ts_ns, tn == 30 ? t + 20 : NULL);
	PUT_LIT(",\"duration_ms\":");
	if (ev->duration_ns < 0)
		PUT_LIT("null");
	CLOSE();
	if (ev->duration_ns >= 0)
		adi_jw_ms(&w, ev->duration_ns);
	if (!OPEN(96))
		goto out;
	PUT_LIT(",\"pid\":");
	p = adi_u64_dec_memo(&memo->pid, p, ev->pid);
	PUT_LIT(",\"tid\":");
	p = adi_u64_dec_memo(&memo->tid, p, ev->tid);
	PUT_LIT(",\"comm\":");
	CLOSE();
	adi_jw_strn(&w, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	if (!OPEN(96))
		goto out;
	PUT_LIT(",\"cgroup_id\":");
	p = adi_u64_dec_memo(&memo->cgroup_id, p, ev->cgroup_id);
	PUT_LIT(",\"container\":");
	if (ev->container[0] == '\0')
		PUT_LIT("null");
	CLOSE();
	if (ev->container[0] != '\0')
		adi_jw_strn(&w, ev->container, strnlen(ev->container, sizeof(ev->container)));
	if (!OPEN(48 + (ev->fields ? ev->fields_len : 0)))
		goto out;
	if (ev->id) { /* 0: a trace read back that had none */
		PUT_LIT(",\"id\":");
		p = adi_u64_dec_memo(&memo->id, p, ev->id);
	}
	if (ev->fields && ev->fields_len) { /* the member list, as written */
		*p++ = ',';
		memcpy(p, ev->fields, ev->fields_len);
		p += ev->fields_len;
	}
	PUT_LIT("}\n");
	*p = '\0';
	CLOSE();
#undef CLOSE
#undef OPEN
#undef PUT_LIT
out:
	*buf = w.buf;
	*len = w.len;
	*cap = w.cap;
	return w.err ? -ENOMEM : 0;
}

int adi_event_json_line(const struct adi_event *ev, struct adi_json_memo *memo, char **buf,
			size_t *len, size_t *cap)
{
	*len = 0;
	return adi_event_json_append(ev, memo, buf, len, cap);
}

/* The line goes into the sink's own buffer, reused from event to event (a
 * trace writes millions of lines: no allocation per line once the buffer
 * has grown), then out with one fwrite -- or, batched, after the lines
 * before it, out with them once the batch is full. */
static int adi_sink_json_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	size_t start = js->fd >= 0 ? js->len : 0;
	int err;

	js->len = start;
	err = adi_event_json_append(ev, &js->memo, &js->buf, &js->len, &js->cap);
	if (err) {
		js->len = start; /* no half line */
		return err;
	}
	if (js->fd < 0)
		return adi_json_put_line(js->f, js->buf, js->len);
	/* whole pieces of the stream's buffer size: a file is written at
	 * offsets that are multiples of it (common.c says why) */
	return js->len >= js->batch ? adi_json_write_batch(js, js->batch) : 0;
}

static int adi_sink_json_flush(struct adi_sink *s)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;
	int err = 0;

	if (js->fd >= 0 && js->len) {
		err = adi_json_write_batch(js, js->len);
		if (err)
			return err;
	}
	errno = 0;
	if (fflush(js->f) != 0 || ferror(js->f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(js->f);
	return err;
}

static uint64_t adi_sink_json_lost(struct adi_sink *s)
{
	return ((struct adi_sink_json *)s)->lost;
}

/* Lines still batched are written (an error is counted in lost(), which
 * nobody asks after this: a caller that cares flushes first). */
static void adi_sink_json_free(struct adi_sink *s)
{
	struct adi_sink_json *js = (struct adi_sink_json *)s;

	if (!js)
		return;
	if (js->fd >= 0 && js->len)
		(void)adi_json_write_batch(js, js->len);
	free(js->buf);
	free(js);
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
	js->base.lost = adi_sink_json_lost;
	js->f = f;
	js->fd = -1;
	/* batched only where stdio would have batched as much: a stream
	 * without a descriptor (memory), unbuffered or line buffered (a
	 * terminal, a caller that wants each line out at once) gets each
	 * line as it comes */
	if (!__flbf(f) && __fbufsize(f) >= ADI_JSON_BATCH_MIN && fileno(f) >= 0) {
		js->batch = __fbufsize(f);
		js->cap = js->batch + ADI_JSON_BATCH_MIN;
		js->buf = malloc(js->cap);
		if (!js->buf) {
			free(js);
			errno = ENOMEM;
			return NULL;
		}
		js->fd = fileno(f);
		adi_out_state_init(&js->out, js->fd, ADI_OUT_CACHED);
	}
	return &js->base;
}
