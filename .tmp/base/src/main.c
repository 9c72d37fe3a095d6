/* main.c - adi-profiler's verb table and option parsing (docs/cli.md): the
 * table below is the one list of verbs; dispatch, the usage text and, at
 * build time (--gen-doc), the man page and completions read it. The verbs'
 * work lives in src/cli/. Exit status: the command's for run, 0 for a
 * trace that ended normally, 1 for a capture error, 2 for a usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/about.h"
#include "cli/cli.h"
#include "../abi/adi_abi.h"

static void usage(FILE *f);

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "adi-profiler: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fputs("run 'adi-profiler --help' for usage\n", stderr);
	return 2;
}

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

enum {
	O_FORMAT = 256, O_DURATION, O_BACKEND, O_NO_NET, O_NO_FS, O_NO_PROC,
	O_BODY, O_CONTENT, O_ROWS, O_SAVE, O_CAPTURE, O_RINGBUF, O_WAKEUP,
	O_SECRETS, O_PID, O_CONTAINER, O_HOLD, O_DUMP, O_UI,
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "backend", required_argument, NULL, O_BACKEND },
	{ "no-net", no_argument, NULL, O_NO_NET },
	{ "no-fs", no_argument, NULL, O_NO_FS },
	{ "no-proc", no_argument, NULL, O_NO_PROC },
	{ "body-bytes", required_argument, NULL, O_BODY },
	{ "content-bytes", required_argument, NULL, O_CONTENT },
	{ "rows-sample", required_argument, NULL, O_ROWS },
	{ "save-raw", required_argument, NULL, O_SAVE },
	{ "capture-bytes", required_argument, NULL, O_CAPTURE },
	{ "ringbuf-bytes", required_argument, NULL, O_RINGBUF },
	{ "wakeup-bytes", required_argument, NULL, O_WAKEUP },
	{ "hold-ms", required_argument, NULL, O_HOLD },
	{ "show-secrets", no_argument, NULL, O_SECRETS },
	{ "pid", required_argument, NULL, O_PID },
	{ "container", required_argument, NULL, O_CONTAINER },
	{ "dump", no_argument, NULL, O_DUMP },
	{ "ui", no_argument, NULL, O_UI },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options of one verb into *c (argv[0] is the verb; shortopts as for
 * getopt). Returns -1 when all were taken, optind then being the first
 * operand; else the exit status: 0 after --help, 2 after a bad option. */
static int parse_options(int argc, char **argv, const char *shortopts, struct adi_cli *c)
{
	unsigned long v;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': c->output = optarg; break;
		case O_FORMAT:
			if (!strcmp(optarg, "text"))
				c->format = ADI_FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				c->format = ADI_FMT_JSON;
			else
				return bad("--format takes text or json, not", optarg);
			break;
		case O_DURATION: {
			char *end;

			errno = 0;
			c->duration_s = strtod(optarg, &end);
			if (errno || *end || !(c->duration_s > 0) || c->duration_s > 1e9)
				return bad("--duration takes a positive number of seconds, not", optarg);
			break;
		}
		case O_BACKEND:
			if (strcmp(optarg, "ebpf") && strcmp(optarg, "ptrace") &&
			    strcmp(optarg, "dtrace"))
				return bad("--backend takes ebpf, ptrace or dtrace, not", optarg);
			c->backend = optarg;
			break;
		case O_NO_NET: c->no_net = true; break;
		case O_NO_FS: c->no_fs = true; break;
		case O_NO_PROC: c->no_proc = true; break;
		case O_SECRETS: c->show_secrets = true; break;
		case O_BODY:
			if (parse_uint(optarg, 1u << 30, &v))
				return bad("--body-bytes takes a byte count, not", optarg);
			c->body_bytes = v;
			break;
		case O_CONTENT:
			if (parse_uint(optarg, 1u << 30, &v))
				return bad("--content-bytes takes a byte count, not", optarg);
			c->content_bytes = v;
			break;
		case O_ROWS:
			if (parse_uint(optarg, 1u << 20, &v))
				return bad("--rows-sample takes a count, not", optarg);
			c->rows_sample = v;
			break;
		case O_SAVE: c->save_raw = optarg; break;
		case O_CAPTURE:
			if (parse_uint(optarg, ADI_CAP_MAX, &v))
				return bad("--capture-bytes takes 0..32768, not", optarg);
			c->capture_bytes = v;
			break;
		case O_RINGBUF:
			if (parse_uint(optarg, 1ul << 30, &v) || v < 4096 || (v & (v - 1)))
				return bad("--ringbuf-bytes takes a power of two >= 4096, not", optarg);
			c->ringbuf_bytes = v;
			break;
		case O_WAKEUP:
			if (parse_uint(optarg, 1ul << 30, &v) || v == 0)
				return bad("--wakeup-bytes takes a positive byte count, not", optarg);
			c->wakeup_bytes = v;
			break;
		case O_HOLD:
			if (parse_uint(optarg, 3600000, &v))
				return bad("--hold-ms takes milliseconds, not", optarg);
			c->hold_ms = v;
			break;
		case O_PID:
			if (parse_uint(optarg, 1ul << 22, &v) || v == 0)
				return bad("--pid takes a process id, not", optarg);
			c->pid = v;
			break;
		case O_CONTAINER: c->container = optarg; break;
		case O_DUMP: c->dump = true; break;
		case O_UI: c->ui = true; break;
		case 'h': usage(stdout); return 0;
		default: return bad("bad option", NULL);
		}
	}
	return -1;
}

/* One verb: the table below is the one list of them. */
struct verb {
	const char *name;
	const char *synopsis;  /* what follows the name in the usage lines */
	const char *help;      /* one line for the usage text */
	/* getopt's short options; run's '+' stops at the first non-option, so
	 * the command's own options after -- (or after its name) are left
	 * alone. NULL: no options, no check (help). */
	const char *shortopts;
	/* what the verb needs of the options and operands (argc/argv: what
	 * the options left), checked into *c: 0, or the usage error's exit
	 * status */
	int (*check)(const struct verb *v, struct adi_cli *c, int argc, char **argv);
	int (*run)(struct adi_cli *c); /* the verb itself: its exit status */
};

static int need_command(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	(void)v;
	if (argc < 1)
		return bad("run needs a command after --", NULL);
	c->cmd = argv;
	return 0;
}

static int need_target(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	(void)v;
	if ((c->pid < 0) == !c->container)
		return bad("attach needs exactly one of --pid PID or --container NAME", NULL);
	if (argc != 0)
		return bad("attach takes no command; unexpected", argv[0]);
	return 0;
}

/* replay, view, ui: one FILE; --ui belongs to a live trace */
static int need_file(const struct verb *v, struct adi_cli *c, int argc, char **argv)
{
	char msg[32];

	if (c->ui)
		return bad("--ui goes with run or attach; to look at a saved trace: ui FILE", NULL);
	if (argc != 1) {
		snprintf(msg, sizeof(msg), "%s needs one FILE", v->name);
		return bad(msg, NULL);
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

static const struct verb verbs[] = {
	{ "run", "[OPTIONS] -- COMMAND [ARGS...]",
	  "start COMMAND, trace it and what it starts; exits with its status",
	  "+o:h", need_command, adi_verb_run },
	{ "attach", "(--pid PID | --container NAME|ID) [OPTIONS]",
	  "trace a running process, or a container's, until it ends or Ctrl-C",
	  "o:h", need_target, attach },
	{ "replay", "FILE [OPTIONS]",
	  "the engine over a raw capture saved with --save-raw",
	  "o:h", need_file, adi_verb_replay },
	{ "view", "FILE",
	  "a saved trace (JSON Lines or SQLite) as the text timeline",
	  "o:h", need_file, adi_verb_view },
	{ "ui", "FILE",
	  "a saved trace in the browser (prints its URL)",
	  "o:h", need_file, adi_verb_ui },
	{ "help", "",
	  "this text (also -h, --help)",
	  NULL, NULL, help },
	{ "version", "",
	  "the version, the libraries it runs with, the backends (also --version)",
	  NULL, NULL, version },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

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

/* The options, for the usage and the generated man page and completions
 * (about.h reads the layout: "  -x, --name METAVAR  help", continued on
 * lines indented further). */
static const char options_help[] =
	"  -o, --output FILE       where events go (- is standard output; a name ending\n"
	"                          in .db or .sqlite writes an SQLite trace store)\n"
	"  --format text|json      human timeline or JSON Lines (default: text on a terminal)\n"
	"  --duration SECONDS      stop after this long\n"
	"  --backend ebpf|ptrace|dtrace   capture backend (default: eBPF, else ptrace; dtrace on macOS)\n"
	"  --no-net, --no-fs, --no-proc   leave a family of events out\n"
	"  --body-bytes N          bytes of bodies / tcp previews kept (4096)\n"
	"  --content-bytes N       bytes of file content sampled per event (256)\n"
	"  --rows-sample N         rows kept per SQL result (5)\n"
	"  --save-raw FILE         also save the raw syscall records for replay\n"
	"  --capture-bytes N       payload bytes copied per syscall, 0..32768 (16384)\n"
	"  --ringbuf-bytes N       kernel->user ring buffer size, power of two (64 MiB)\n"
	"  --wakeup-bytes N        queued bytes that wake the reader early (1 MiB, <= ring/4)\n"
	"  --hold-ms N             how long a pending event may hold back later ones\n"
	"                          for ordering (2000)\n"
	"  --show-secrets          do not redact credentials\n"
	"  --dump                  replay: print the raw events, one per line\n"
	"  --ui                    run, attach: show the trace live in the browser (URL on\n"
	"                          stderr; the page stays up after the trace until Ctrl-C)\n";

static void usage(FILE *f)
{
	for (size_t i = 0; i < N_VERBS; i++)
		fprintf(f, "%s adi-profiler %s%s%s\n", i ? "      " : "usage:", verbs[i].name,
			*verbs[i].synopsis ? " " : "", verbs[i].synopsis);
	fputs("verbs:\n", f);
	for (size_t i = 0; i < N_VERBS; i++)
		fprintf(f, "  %-8s%s\n", verbs[i].name, verbs[i].help);
	fputs("options:\n", f);
	fputs(options_help, f);
}

/* Build time (CMakeLists.txt): the man page or a shell's completions from
 * the verb table and the options. Not a verb: no user needs it. */
static int gen_doc(const char *what)
{
	struct adi_about_verb dv[N_VERBS];
	int rc;

	for (size_t i = 0; i < N_VERBS; i++)
		dv[i] = (struct adi_about_verb){ verbs[i].name, verbs[i].synopsis, verbs[i].help };
	rc = adi_about_doc(stdout, what, dv, N_VERBS, options_help, longopts);
	if (rc)
		fprintf(stderr, "adi-profiler: --gen-doc %s: %s\n", what, strerror(-rc));
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct adi_cli c = {
		.body_bytes = 4096, .content_bytes = 256, .rows_sample = 5,
		.capture_bytes = ADI_CAP_DEFAULT, .ringbuf_bytes = 64u << 20,
		.wakeup_bytes = 0 /* auto */, .hold_ms = 2000, .pid = -1,
	};
	const struct verb *v;
	int rc;

	if (argc < 2)
		return usage(stderr), 2;
	if (argc == 3 && !strcmp(argv[1], "--gen-doc"))
		return gen_doc(argv[2]);
	v = verb_find(argv[1]);
	if (!v)
		return bad("unknown verb", argv[1]);
	if (!v->shortopts)
		return v->run(&c);
	rc = parse_options(argc - 1, argv + 1, v->shortopts, &c);
	if (rc >= 0)
		return rc;
	rc = v->check(v, &c, argc - 1 - optind, argv + 1 + optind);
	return rc ? rc : v->run(&c);
}
