/* main.c - adi-profiler's verb table, option table and option parsing
 * (docs/cli.md): the tables below are the one list of verbs and of options
 * (which verbs take each); dispatch, the usage text, each verb's own help
 * (`run --help`, `help run`), "did you mean" and, at build time
 * (--gen-doc), the man page and completions read them. The verbs' work
 * lives in src/cli/. Exit status: the command's for run, 0 for a trace that
 * ended normally, 1 for a capture error, 2 for a usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/about.h"
#include "cli/cli.h"
#include "../abi/adi_abi.h"

/* The verbs, as bits: which take an option. */
enum {
	V_RUN = 1, V_ATTACH = 2, V_REPLAY = 4, V_VIEW = 8, V_UI = 16, V_EXPORT = 32,
};
#define V_LIVE (V_RUN | V_ATTACH)                 /* a live trace */
#define V_ENGINE (V_LIVE | V_REPLAY)              /* the engine makes events */
#define V_WRITE (V_ENGINE | V_VIEW)               /* events are written out */
#define V_READ (V_WRITE | V_UI)                   /* events are read: filters */

enum {
	O_FORMAT = 256, O_DURATION, O_BACKEND, O_NO_NET, O_NO_FS, O_NO_PROC,
	O_BODY, O_CONTENT, O_ROWS, O_SAVE, O_CAPTURE, O_RINGBUF, O_WAKEUP,
	O_SECRETS, O_PID, O_CONTAINER, O_HOLD, O_DUMP, O_UI, O_COLOR, O_TIME, O_ALL,
	O_KIND, O_PATH, O_XPATH, O_PORT, O_HOST, O_PROTO, O_COMM, O_GREP, O_ERRORS,
	O_SLOWER, O_OTLP, O_ENDPOINT, O_OTLP_ENC, O_OTLP_HDR, O_PCAPNG, O_NO_TLS_PT,
	O_FOCUS, O_FOCUS_NET, O_FOCUS_ABOVE,
};

/* One option: the one place it is described. help: its text for the
 * usage, lines after the first continue it. */
struct opt {
	const char *name;     /* long name, or NULL (-r) */
	char shrt;            /* short name, or 0 */
	const char *metavar;  /* NULL: a flag */
	unsigned verbs;       /* V_* that take it */
	int code;             /* getopt's value */
	const char *help;
};

static const struct opt opts[] = {
	{ "output", 'o', "FILE", V_WRITE | V_EXPORT, 'o',
	  "where events go, - for standard output (default:\n"
	  "standard error for run and attach, as strace does;\n"
	  "standard output for replay and view); a name ending\n"
	  "in .db or .sqlite: an SQLite trace store; .jsonl or\n"
	  ".json: JSON Lines" },
	{ "format", 0, "text|json", V_WRITE, O_FORMAT,
	  "the human timeline or JSON Lines (default: text, or\n"
	  "what -o's name says; never where the output goes)" },
	{ "color", 0, "auto|always|never", V_WRITE, O_COLOR,
	  "colours in the text timeline (auto: on a terminal,\n"
	  "without $NO_COLOR, TERM not dumb)" },
	{ "time", 0, "clock|rel|delta", V_WRITE, O_TIME,
	  "the text timeline's time: local clock, seconds since\n"
	  "the first event, or since the event before" },
	{ NULL, 'r', NULL, V_WRITE, 'r', "the same as --time delta (strace -r)" },
	{ "all", 0, NULL, V_READ, O_ALL,
	  "text: every event: also the runtime's own events\n"
	  "(loader, locale, modules, /proc/self, /dev/tty,\n"
	  "inherited fds closed, nscd probes), else counted in a\n"
	  "line, and no focus (ui: the page's switches start so)" },
	{ "focus", 0, "GLOB", V_READ, O_FOCUS,
	  "text (ui: the page's switch): fold the file events of\n"
	  "processes out of focus; in focus: those that used the\n"
	  "network, and those whose command or executable matches\n"
	  "and what they start (repeatable)" },
	{ "focus-net", 0, NULL, V_READ, O_FOCUS_NET,
	  "the same without a glob: only the processes that used\n"
	  "the network show their file events, whatever the size" },
	{ "focus-above", 0, "N", V_READ, O_FOCUS_ABOVE,
	  "focus by itself when the timeline would show more\n"
	  "than N events (1000; 0: always)" },
	{ "kind", 0, "KIND[,KIND]", V_READ, O_KIND,
	  "only events of these kinds: file, process,\n"
	  "connection, tcp, http, grpc, sql, db_session, redis,\n"
	  "mongo, dns, udp (or the kinds' full names)" },
	{ "path", 0, "GLOB", V_READ, O_PATH,
	  "only file events whose path (or new path) matches\n"
	  "the glob (* spans /; repeat for more)" },
	{ "exclude-path", 0, "GLOB", V_READ, O_XPATH,
	  "leave out file events whose path matches the glob" },
	{ "port", 0, "PORT[,PORT]", V_READ, O_PORT,
	  "only events of connections with this local or\n"
	  "remote port" },
	{ "host", 0, "ADDR[,ADDR]", V_READ, O_HOST,
	  "only events of connections with this local or\n"
	  "remote address (a unix socket: its path)" },
	{ "protocol", 0, "PROTO[,PROTO]", V_READ, O_PROTO,
	  "only events of these protocols: http, http2, grpc,\n"
	  "postgres, mysql, redis, mongo, dns" },
	{ "pid", 0, "PID", V_READ, O_PID,
	  "attach: the process to trace; the other verbs: only\n"
	  "the events of this process (repeat for more)" },
	{ "comm", 0, "GLOB", V_READ, O_COMM,
	  "only events of tasks whose command name matches the\n"
	  "glob" },
	{ "grep", 0, "TEXT", V_READ, O_GREP,
	  "only events whose fields (as JSON), command name or\n"
	  "kind hold TEXT" },
	{ "errors", 0, NULL, V_READ, O_ERRORS,
	  "only failures: an errno, a non-zero exit, HTTP >= 400\n"
	  "or no response, a gRPC, SQL, Redis, Mongo, DNS error" },
	{ "slower-than", 0, "DURATION", V_READ, O_SLOWER,
	  "only events that lasted at least this long (5ms,\n"
	  "250us, 1.5s; a bare number is milliseconds)" },
	{ "duration", 0, "SECONDS", V_LIVE, O_DURATION,
	  "stop after this long" },
	{ "backend", 0, "ebpf|ptrace|dtrace", V_LIVE, O_BACKEND,
	  "capture backend (default: eBPF, else ptrace;\n"
	  "dtrace on macOS)" },
	{ "container", 0, "NAME|ID", V_ATTACH, O_CONTAINER,
	  "attach: every process of this container" },
	{ "no-net", 0, NULL, V_READ, O_NO_NET, "leave network events out" },
	{ "no-fs", 0, NULL, V_READ, O_NO_FS, "leave file events out" },
	{ "no-proc", 0, NULL, V_READ, O_NO_PROC, "leave process events out" },
	{ "no-tls-plaintext", 0, NULL, V_LIVE, O_NO_TLS_PT,
	  "do not hook TLS libraries: TLS connections keep\n"
	  "their handshake metadata only (docs/tls.md)" },
	{ "body-bytes", 0, "N", V_ENGINE, O_BODY,
	  "bytes of bodies / tcp previews kept (4096)" },
	{ "content-bytes", 0, "N", V_WRITE, O_CONTENT,
	  "bytes of file content sampled per event (256); when\n"
	  "given, also the payload bytes the text shows (64)" },
	{ "rows-sample", 0, "N", V_ENGINE, O_ROWS, "rows kept per SQL result (5)" },
	{ "save-raw", 0, "FILE", V_LIVE, O_SAVE,
	  "also save the raw syscall records for replay" },
	{ "capture-bytes", 0, "N", V_LIVE, O_CAPTURE,
	  "payload bytes kept per socket call, 0..268435456\n"
	  "(4194304; files keep --content-bytes)" },
	{ "ringbuf-bytes", 0, "N", V_LIVE, O_RINGBUF,
	  "kernel->user ring buffer size, power of two (64 MiB)" },
	{ "wakeup-bytes", 0, "N", V_LIVE, O_WAKEUP,
	  "queued bytes that wake the reader early (1 MiB,\n"
	  "at most a quarter of the ring)" },
	{ "hold-ms", 0, "N", V_ENGINE, O_HOLD,
	  "how long a pending event may hold back later ones\n"
	  "for ordering (2000)" },
	{ "show-secrets", 0, NULL, V_ENGINE, O_SECRETS, "do not redact credentials" },
	{ "dump", 0, NULL, V_REPLAY, O_DUMP, "replay: print the raw events, one per line" },
	{ "ui", 0, NULL, V_LIVE, O_UI,
	  "show the trace live in the browser (URL on stderr;\n"
	  "the page stays up after the trace until Ctrl-C)" },
	{ "otlp", 0, "URL", V_LIVE, O_OTLP,
	  "also send spans and logs to an OpenTelemetry\n"
	  "receiver over OTLP/HTTP (docs/export.md)" },
	{ "endpoint", 0, "URL", V_EXPORT, O_ENDPOINT,
	  "export otlp: the OTLP/HTTP receiver to send to" },
	{ "otlp-encoding", 0, "protobuf|json", V_LIVE | V_EXPORT, O_OTLP_ENC,
	  "OTLP body encoding (protobuf)" },
	{ "otlp-header", 0, "NAME=VALUE", V_LIVE | V_EXPORT, O_OTLP_HDR,
	  "an HTTP header on every OTLP request (repeatable)" },
	{ "pcapng", 0, "FILE", V_LIVE, O_PCAPNG,
	  "also write the TCP/UDP traffic as pcapng" },
	{ "help", 'h', NULL, V_READ | V_EXPORT, 'h', "this verb's usage and options" },
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* One verb: the table below is the one list of them. */
struct verb {
	const char *name;
	unsigned bit;          /* V_*; 0: none of these options (help, version),
				* or its own, read from c->args (report,
				* diff, deps: docs/insight.md) */
	const char *synopsis;  /* what follows the name in the usage lines */
	const char *help;      /* one line for the usage text */
	/* what the verb needs of the options and operands (argc/argv: what
	 * the options left), checked into *c: 0, or the usage error's exit
	 * status */
	int (*check)(const struct verb *v, struct adi_cli *c, int argc, char **argv);
	int (*run)(struct adi_cli *c); /* the verb itself: its exit status */
};

static int need_command(const struct verb *v, struct adi_cli *c, int argc, char **argv);
static int need_target(const struct verb *v, struct adi_cli *c, int argc, char **argv);
static int need_file(const struct verb *v, struct adi_cli *c, int argc, char **argv);
static int need_export(const struct verb *v, struct adi_cli *c, int argc, char **argv);
static int attach(struct adi_cli *c);
static int help(struct adi_cli *c);
static int version(struct adi_cli *c);

static const struct verb verbs[] = {
	{ "run", V_RUN, "[OPTIONS] -- COMMAND [ARGS...]",
	  "start COMMAND, trace it and what it starts; exits with its status",
	  need_command, adi_verb_run },
	{ "attach", V_ATTACH, "(--pid PID | --container NAME|ID) [OPTIONS]",
	  "trace a running process, or a container's, until it ends or Ctrl-C",
	  need_target, attach },
	{ "replay", V_REPLAY, "FILE [OPTIONS]",
	  "the engine over a raw capture saved with --save-raw",
	  need_file, adi_verb_replay },
	{ "view", V_VIEW, "FILE [OPTIONS]",
	  "a saved trace (JSON Lines or SQLite) as the text timeline",
	  need_file, adi_verb_view },
	{ "ui", V_UI, "FILE [OPTIONS]",
	  "a saved trace in the browser (prints its URL)",
	  need_file, adi_verb_ui },
	{ "export", V_EXPORT, "otlp|pcapng|perfetto FILE [OPTIONS]",
	  "a saved trace to OpenTelemetry, pcapng (raw capture) or Perfetto",
	  need_export, adi_verb_export },
	{ "report", 0, "FILE [--format text|json] [--n1-min N] [--top N] [-o OUT]",
	  "endpoints, queries, N+1 findings, errors, slowest operations of a trace",
	  NULL, adi_verb_report },
	{ "diff", 0, "A B [--fail-on LIST] [--format text|json] [-o OUT]",
	  "what changed between two traces; exit 1 when --fail-on says so",
	  NULL, adi_verb_diff },
	{ "deps", 0, "FILE [--format text|json] [-o OUT]",
	  "the services, tables, files and programs a trace shows it needs",
	  NULL, adi_verb_deps },
	{ "help", 0, "[VERB]",
	  "this text, or a verb's usage and options (also -h, --help)",
	  NULL, help },
	{ "version", 0, "",
	  "the version, the libraries it runs with, the backends (also --version)",
	  NULL, version },
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* ---- messages ---- */

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "adi-profiler: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fputs("run 'adi-profiler --help' for usage\n", stderr);
	return 2;
}

/* Edit distance of a and b, a swap of two neighbours counting as one edit
 * ("viwe" is one from "view"); both short (names), capped at 9. */
static unsigned distance(const char *a, const char *b)
{
	unsigned d[24][24], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 24 || lb >= 24)
		return 9;
	for (unsigned i = 0; i <= la; i++)
		d[i][0] = i;
	for (unsigned j = 0; j <= lb; j++)
		d[0][j] = j;
	for (unsigned i = 1; i <= la; i++)
		for (unsigned j = 1; j <= lb; j++) {
			unsigned v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

/* The closest of the candidates to s, when it is close enough to be what
 * was meant (2 edits, 1 for short words), else NULL. */
static const char *closest(const char *s, const char *const *cand, size_t n)
{
	const char *best = NULL;
	unsigned bd = 9;

	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (!cand[i])
			continue;
		d = distance(s, cand[i]);
		if (d < bd) {
			bd = d;
			best = cand[i];
		}
	}
	return best && bd <= (strlen(s) <= 3 ? 1u : 2u) ? best : NULL;
}

static int unknown_verb(const char *name)
{
	const char *names[N_VERBS];
	const char *m;
	char msg[160];

	for (size_t i = 0; i < N_VERBS; i++)
		names[i] = verbs[i].name;
	m = closest(name, names, N_VERBS);
	if (!m)
		return bad("unknown verb", name);
	snprintf(msg, sizeof(msg), "unknown verb %s; did you mean %s?", name, m);
	return bad(msg, NULL);
}

/* An option getopt did not take: unknown (with the closest one the verb
 * takes), or a missing value. */
static int unknown_option(const struct verb *v, const char *arg, bool missing)
{
	const char *names[N_OPTS];
	char typed[64], msg[200];
	const char *m, *eq;
	size_t n = 0;

	if (missing) {
		snprintf(msg, sizeof(msg), "%s needs a value", arg);
		return bad(msg, NULL);
	}
	eq = strchr(arg, '=');
	snprintf(typed, sizeof(typed), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	for (size_t i = 0; i < N_OPTS; i++)
		names[n++] = opts[i].name && (opts[i].verbs & v->bit) ? opts[i].name : NULL;
	m = typed[0] == '-' && typed[1] == '-' ? closest(typed + 2, names, n) : NULL;
	if (m)
		snprintf(msg, sizeof(msg), "%s takes no option %s; did you mean --%s?", v->name,
			 typed, m);
	else
		snprintf(msg, sizeof(msg), "%s takes no option %s (adi-profiler help %s lists "
			 "them)", v->name, typed, v->name);
	return bad(msg, NULL);
}

/* ---- the usage ---- */

/* The verbs an option is for, "run, attach". */
static void verbs_of(const struct opt *o, char *buf, size_t sz)
{
	buf[0] = '\0';
	for (size_t i = 0; i < N_VERBS; i++)
		if (o->verbs & verbs[i].bit)
			snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 verbs[i].name);
}

/* One option in the usage's layout ("  -o, --output FILE    help", the
 * help's further lines indented to its column): about.h reads it. */
#define HELP_COL 26
static void put_opt(FILE *f, const struct opt *o)
{
	const char *h = o->help;
	int n = 0;

	n += fprintf(f, "  ");
	if (o->shrt)
		n += fprintf(f, "-%c%s", o->shrt, o->name ? ", " : "");
	if (o->name)
		n += fprintf(f, "--%s", o->name);
	if (o->metavar)
		n += fprintf(f, " %s", o->metavar);
	fprintf(f, "%*s", n < HELP_COL - 2 ? HELP_COL - n : 2, "");
	for (;;) {
		const char *nl = strchr(h, '\n');

		fprintf(f, "%.*s\n", nl ? (int)(nl - h) : (int)strlen(h), h);
		if (!nl)
			break;
		h = nl + 1;
		fprintf(f, "%*s", HELP_COL, "");
	}
}

/* The options text of the verbs in mask (all of them: ~0). */
static void put_opts(FILE *f, unsigned mask)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].verbs & mask)
			put_opt(f, &opts[i]);
}

static void usage(FILE *f)
{
	for (size_t i = 0; i < N_VERBS; i++)
		fprintf(f, "%s adi-profiler %s%s%s\n", i ? "      " : "usage:", verbs[i].name,
			*verbs[i].synopsis ? " " : "", verbs[i].synopsis);
	fputs("verbs:\n", f);
	for (size_t i = 0; i < N_VERBS; i++)
		fprintf(f, "  %-8s%s\n", verbs[i].name, verbs[i].help);
	fputs("adi-profiler help VERB (or VERB --help): the options of one verb\n", f);
	fputs("options:\n", f);
	put_opts(f, ~0u);
}

/* A verb's own usage: its synopsis, what it does, every option it takes
 * and nothing else. */
static void usage_verb(FILE *f, const struct verb *v)
{
	fprintf(f, "usage: adi-profiler %s%s%s\n%s\n", v->name, *v->synopsis ? " " : "",
		v->synopsis, v->help);
	if (!v->bit)
		return;
	fputs("options:\n", f);
	put_opts(f, v->bit);
	fputs("docs/cli.md (and man adi-profiler) tells the defaults and exit statuses\n", f);
}

/* ---- parsing ---- */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct opt *opt_by_code(int code)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].code == code)
			return &opts[i];
	return NULL;
}

/* getopt's tables from opts: the short options (run's '+' stops at the
 * first word that is not an option, leaving the command's own alone; ':'
 * reports a missing value apart) and the long ones. */
static void getopt_tables(const struct verb *v, char *shortopts, size_t sz,
			  struct option *lo)
{
	size_t n = 0, k = 0;

	shortopts[n++] = v->bit == V_RUN ? '+' : ':';
	if (v->bit == V_RUN)
		shortopts[n++] = ':';
	for (size_t i = 0; i < N_OPTS && n + 3 < sz; i++) {
		if (opts[i].shrt) {
			shortopts[n++] = opts[i].shrt;
			if (opts[i].metavar)
				shortopts[n++] = ':';
		}
		if (opts[i].name)
			lo[k++] = (struct option){ opts[i].name,
				opts[i].metavar ? required_argument : no_argument, NULL, opts[i].code };
	}
	shortopts[n] = '\0';
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
}

/* One option's value into *c; 0, or a usage error's status. */
static int take(const struct verb *v, struct adi_cli *c, int opt, const char *arg)
{
	unsigned long u;
	char err[256];

	switch (opt) {
	case 'o': c->output = arg; break;
	case O_FORMAT:
		if (!strcmp(arg, "text"))
			c->format = ADI_FMT_TEXT;
		else if (!strcmp(arg, "json"))
			c->format = ADI_FMT_JSON;
		else
			return bad("--format takes text or json, not", arg);
		break;
	case O_COLOR:
		if (!strcmp(arg, "auto"))
			c->color = ADI_COLOR_AUTO;
		else if (!strcmp(arg, "always"))
			c->color = ADI_COLOR_ALWAYS;
		else if (!strcmp(arg, "never"))
			c->color = ADI_COLOR_NEVER;
		else
			return bad("--color takes auto, always or never, not", arg);
		break;
	case O_TIME:
		if (!strcmp(arg, "clock"))
			c->time = ADI_TEXT_TIME_CLOCK;
		else if (!strcmp(arg, "rel"))
			c->time = ADI_TEXT_TIME_REL;
		else if (!strcmp(arg, "delta"))
			c->time = ADI_TEXT_TIME_DELTA;
		else
			return bad("--time takes clock, rel or delta, not", arg);
		break;
	case 'r': c->time = ADI_TEXT_TIME_DELTA; break;
	case O_ALL: c->all = true; break;
	case O_FOCUS:
		if (!*arg)
			return bad("--focus takes a glob, not an empty word", NULL);
		if (c->n_focus == sizeof(c->focus) / sizeof(c->focus[0]))
			return bad("too many --focus, at most 32; this one is", arg);
		c->focus[c->n_focus++] = arg;
		break;
	case O_FOCUS_NET: c->focus_net = true; break;
	case O_FOCUS_ABOVE:
		if (parse_uint(arg, UINT32_MAX, &u))
			return bad("--focus-above takes a count of events, not", arg);
		c->focus_above = (long)u;
		break;
	case O_DURATION: {
		char *end;

		errno = 0;
		c->duration_s = strtod(arg, &end);
		if (errno || *end || !(c->duration_s > 0) || c->duration_s > 1e9)
			return bad("--duration takes a positive number of seconds, not", arg);
		break;
	}
	case O_BACKEND:
		if (strcmp(arg, "ebpf") && strcmp(arg, "ptrace") && strcmp(arg, "dtrace"))
			return bad("--backend takes ebpf, ptrace or dtrace, not", arg);
		c->backend = arg;
		break;
	/* the engine leaves them out; reading a trace, the filter does */
	case O_NO_NET: c->no_net = c->filter.no_net = c->filter.active = true; break;
	case O_NO_FS: c->no_fs = c->filter.no_fs = c->filter.active = true; break;
	case O_NO_PROC: c->no_proc = c->filter.no_proc = c->filter.active = true; break;
	case O_NO_TLS_PT: c->no_tls_plaintext = true; break;
	case O_SECRETS: c->show_secrets = true; break;
	case O_BODY:
		if (parse_uint(arg, 1u << 30, &u))
			return bad("--body-bytes takes a byte count, not", arg);
		c->body_bytes = u;
		break;
	case O_CONTENT:
		if (parse_uint(arg, 1u << 30, &u))
			return bad("--content-bytes takes a byte count, not", arg);
		c->content_bytes = u;
		c->content_bytes_set = true;
		break;
	case O_ROWS:
		if (parse_uint(arg, 1u << 20, &u))
			return bad("--rows-sample takes a count, not", arg);
		c->rows_sample = u;
		break;
	case O_SAVE: c->save_raw = arg; break;
	case O_CAPTURE:
		if (parse_uint(arg, ADI_PAYLOAD_MAX, &u))
			return bad("--capture-bytes takes 0..268435456, not", arg);
		c->capture_bytes = u;
		break;
	case O_RINGBUF:
		if (parse_uint(arg, 1ul << 30, &u) || u < 4096 || (u & (u - 1)))
			return bad("--ringbuf-bytes takes a power of two >= 4096, not", arg);
		c->ringbuf_bytes = u;
		break;
	case O_WAKEUP:
		if (parse_uint(arg, 1ul << 30, &u) || u == 0)
			return bad("--wakeup-bytes takes a positive byte count, not", arg);
		c->wakeup_bytes = u;
		break;
	case O_HOLD:
		if (parse_uint(arg, 3600000, &u))
			return bad("--hold-ms takes milliseconds, not", arg);
		c->hold_ms = u;
		break;
	case O_PID:
		if (v->bit == V_ATTACH) { /* attach: the target */
			if (parse_uint(arg, 1ul << 22, &u) || u == 0)
				return bad("--pid takes a process id, not", arg);
			c->pid = u;
			break;
		}
		if (adi_filter_add(&c->filter, ADI_F_PID, arg, err, sizeof(err)))
			return bad(err, NULL);
		break;
	case O_CONTAINER: c->container = arg; break;
	case O_DUMP: c->dump = true; break;
	case O_UI: c->ui = true; break;
	case O_OTLP: case O_ENDPOINT: c->otlp_url = arg; break;
	case O_OTLP_ENC:
		if (strcmp(arg, "protobuf") && strcmp(arg, "json"))
			return bad("--otlp-encoding takes protobuf or json, not", arg);
		c->otlp_encoding = !strcmp(arg, "json");
		break;
	case O_OTLP_HDR:
		/* a name without ':' and no line breaks: one header line */
		if (!strchr(arg, '=') || *arg == '=' || strpbrk(arg, "\r\n") ||
		    strcspn(arg, ":") < strcspn(arg, "="))
			return bad("--otlp-header takes NAME=VALUE, not", arg);
		if (c->n_otlp_headers == sizeof(c->otlp_headers) / sizeof(c->otlp_headers[0]))
			return bad("too many --otlp-header, at most 16; this one is", arg);
		c->otlp_headers[c->n_otlp_headers++] = arg;
		break;
	case O_PCAPNG: c->pcapng = arg; break;
	case O_ERRORS: c->filter.errors = c->filter.active = true; break;
	case O_SLOWER:
		if (adi_filter_duration(&c->filter, arg, err, sizeof(err)))
			return bad(err, NULL);
		break;
	default: {
		static const struct { int code; enum adi_filter_what what; } lists[] = {
			{ O_KIND, ADI_F_KIND }, { O_PATH, ADI_F_PATH }, { O_XPATH, ADI_F_XPATH },
			{ O_PORT, ADI_F_PORT }, { O_HOST, ADI_F_HOST }, { O_PROTO, ADI_F_PROTO },
			{ O_COMM, ADI_F_COMM }, { O_GREP, ADI_F_GREP },
		};
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
			if (lists[i].code == opt) {
				if (adi_filter_add(&c->filter, lists[i].what, arg, err, sizeof(err)))
					return bad(err, NULL);
				return 0;
			}
		return bad("bad option", NULL);
	}
	}
	return 0;
}

/* The options of verb v into *c (argv[0] is the verb). Returns -1 when
 * all were taken, optind then being the first operand; else the exit
 * status: 0 after --help, 2 after a bad option or one v does not take. */
static int parse_options(const struct verb *v, int argc, char **argv, struct adi_cli *c)
{
	struct option lo[N_OPTS + 1];
	char shortopts[2 * N_OPTS + 4];
	int opt, rc;

	getopt_tables(v, shortopts, sizeof(shortopts), lo);
	optind = 1;
	opterr = 0; /* our own messages, with "did you mean" */
	while ((opt = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		const struct opt *o;
		char msg[160], vs[64];

		if (opt == '?' || opt == ':') {
			const char *arg = argv[optind - 1];
			char sh[3] = { '-', (char)optopt, 0 };

			/* an unknown short option is optopt; a long one is the
			 * word getopt stopped at */
			return unknown_option(v, optopt && arg[1] != '-' ? sh : arg, opt == ':');
		}
		o = opt_by_code(opt);
		if (o && !(o->verbs & v->bit)) {
			verbs_of(o, vs, sizeof(vs));
			if (o->name)
				snprintf(msg, sizeof(msg), "%s does not take --%s (it is for %s)",
					 v->name, o->name, vs);
			else
				snprintf(msg, sizeof(msg), "%s does not take -%c (it is for %s)",
					 v->name, o->shrt, vs);
			return bad(msg, NULL);
		}
		if (opt == 'h') {
			usage_verb(stdout, v);
			return 0;
		}
		rc = take(v, c, opt, optarg);
		if (rc)
			return rc;
	}
	return -1;
}

static int need_command(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	(void)v;
	if (argc < 1)
		return bad("run needs a command after --", NULL);
	c->cmd = argv;
	c->live = true;
	return 0;
}

static int need_target(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	(void)v;
	if ((c->pid < 0) == !c->container)
		return bad("attach needs exactly one of --pid PID or --container NAME", NULL);
	if (argc != 0)
		return bad("attach takes no command; unexpected", argv[0]);
	c->live = true;
	return 0;
}

/* export FORMAT FILE (src/cli/export.c; docs/export.md) */
static int need_export(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	(void)v;
	if (argc != 2)
		return bad("export needs a format (otlp, pcapng, perfetto) and one FILE", NULL);
	if (strcmp(argv[0], "otlp") && strcmp(argv[0], "pcapng") && strcmp(argv[0], "perfetto"))
		return bad("export takes otlp, pcapng or perfetto, not", argv[0]);
	if (!strcmp(argv[0], "otlp") && !c->otlp_url)
		return bad("export otlp needs --endpoint URL", NULL);
	c->export_format = argv[0];
	c->file = argv[1];
	return 0;
}

/* replay, view, ui: one FILE */
static int need_file(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	char msg[32];

	if (argc != 1) {
		snprintf(msg, sizeof(msg), "%s needs one FILE", v->name);
		return bad(msg, argc > 1 ? argv[1] : NULL);
	}
	c->file = argv[0];
	return 0;
}

static int attach(struct adi_cli *c)
{
	return c->pid > 0 ? adi_verb_attach_pid(c) : adi_verb_attach_container(c);
}

static int help(struct adi_cli *c)
{
	(void)c;
	usage(stdout);
	return 0;
}

static int version(struct adi_cli *c)
{
	(void)c;
	return adi_about_version(stdout);
}

/* The verb named name (-h and --help name help), or NULL. */
static const struct verb *verb_find(const char *name)
{
	if (!strcmp(name, "-h") || !strcmp(name, "--help"))
		name = "help";
	else if (!strcmp(name, "--version"))
		name = "version";
	for (size_t i = 0; i < N_VERBS; i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

/* Build time (CMakeLists.txt): the man page or a shell's completions from
 * the verb table and the options. Not a verb: no user needs it. */
static int gen_doc(const char *what)
{
	struct adi_about_verb dv[N_VERBS];
	struct option lo[N_OPTS + 1];
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	size_t k = 0;
	int rc;

	if (!m)
		return 1;
	put_opts(m, ~0u);
	fclose(m);
	for (size_t i = 0; i < N_VERBS; i++)
		dv[i] = (struct adi_about_verb){ verbs[i].name, verbs[i].synopsis, verbs[i].help };
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].name)
			lo[k++] = (struct option){ opts[i].name,
				opts[i].metavar ? required_argument : no_argument, NULL, opts[i].code };
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
	rc = adi_about_doc(stdout, what, dv, N_VERBS, text, lo);
	free(text);
	if (rc)
		fprintf(stderr, "adi-profiler: --gen-doc %s: %s\n", what, strerror(-rc));
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct adi_cli c = {
		.body_bytes = 4096, .content_bytes = 256, .rows_sample = 5,
		.capture_bytes = ADI_PAYLOAD_DEFAULT, .ringbuf_bytes = 64u << 20,
		.wakeup_bytes = 0 /* auto */, .hold_ms = 2000, .pid = -1,
		.focus_above = -1,
	};
	const struct verb *v;
	int rc;

	adi_filter_init(&c.filter);
	if (argc < 2)
		return usage(stderr), 2;
	if (argc == 3 && !strcmp(argv[1], "--gen-doc"))
		return gen_doc(argv[2]);
	v = verb_find(argv[1]);
	if (!v)
		return unknown_verb(argv[1]);
	if (!strcmp(v->name, "help") && argc >= 3) {
		const struct verb *w = verb_find(argv[2]);

		if (!w)
			return unknown_verb(argv[2]);
		usage_verb(stdout, w);
		return 0;
	}
	c.args = argv + 1; /* report, diff, deps read their own options */
	if (!v->bit)
		return v->run(&c);
	rc = parse_options(v, argc - 1, argv + 1, &c);
	if (rc >= 0)
		return rc;
	rc = v->check(v, &c, argc - 1 - optind, argv + 1 + optind);
	return rc ? rc : v->run(&c);
}
