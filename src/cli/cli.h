/* cli.h - the options every verb shares (docs/cli.md) and the verbs' entry
 * points. main.c parses; each verb in its own file does the work. */
#ifndef ADI_CLI_H
#define ADI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "filter.h"
#include "../sink/sink.h"

enum adi_format { ADI_FMT_AUTO, ADI_FMT_TEXT, ADI_FMT_JSON };
enum adi_color { ADI_COLOR_AUTO, ADI_COLOR_ALWAYS, ADI_COLOR_NEVER };

struct adi_cli {
	const char *output;        /* -o; NULL or "-" for stdout */
	enum adi_format format;
	double duration_s;         /* 0: none */
	const char *backend;       /* NULL: best available */
	bool no_net, no_fs, no_proc, show_secrets;
	bool no_tls_plaintext;     /* --no-tls-plaintext: no TLS library uprobes */
	unsigned body_bytes, content_bytes, rows_sample;
	const char *save_raw;
	uint32_t capture_bytes;    /* --capture-bytes: payload per syscall */
	uint32_t ringbuf_bytes;    /* --ringbuf-bytes */
	uint32_t wakeup_bytes;
	unsigned hold_ms;
	char **cmd;                /* run: the command after -- */
	const char *file;          /* replay / view: the input */
	long pid;                  /* attach --pid */
	const char *container;     /* attach --container */
	bool dump;                 /* replay --dump */
	bool ui;                   /* run/attach --ui: serve the trace live */
	/* exports (docs/export.md): --otlp URL (export: --endpoint), its
	 * encoding (0 protobuf, 1 json) and headers "K=V"; --pcapng FILE;
	 * export's format (otlp, pcapng, perfetto) */
	const char *otlp_url;
	int otlp_encoding;
	const char *otlp_headers[16];
	unsigned n_otlp_headers;
	const char *pcapng;
	const char *export_format;
	bool live;                 /* run, attach: the timeline goes to stderr
				    * by default (the command owns stdout) */
	enum adi_color color;      /* --color */
	enum adi_text_time time;   /* --time, -r */
	bool all;                  /* --all: the runtime's file events too,
				    * and no focus */
	/* the text timeline's focus (docs/cli.md "Focus"): --focus GLOB...,
	 * --focus-net, --focus-above N (-1: not given) */
	const char *focus[32];
	unsigned n_focus;
	bool focus_net;
	long focus_above;
	bool content_bytes_set;    /* --content-bytes given: the text previews
				    * show that many bytes */
	struct adi_filter filter;  /* --kind, --path, --port... (filter.h) */
	char **args;               /* report, deps, diff: the verb and what
				    * follows it (NULL-terminated); they
				    * parse their own options */
};

/* Each returns the process exit status (docs/cli.md). */
int adi_verb_run(struct adi_cli *c);
int adi_verb_attach_pid(struct adi_cli *c);
int adi_verb_attach_container(struct adi_cli *c);
int adi_verb_replay(struct adi_cli *c);
int adi_verb_view(struct adi_cli *c);
int adi_verb_ui(struct adi_cli *c);
int adi_verb_export(struct adi_cli *c);
int adi_verb_report(struct adi_cli *c);  /* report.c (docs/insight.md) */
int adi_verb_deps(struct adi_cli *c);    /* report.c */
int adi_verb_diff(struct adi_cli *c);    /* diff.c */

/* Shared by the verbs: open the sink for -o/--format (text unless --format
 * or a name ending in .jsonl/.json/.db/.sqlite says otherwise; standard
 * error for run and attach, standard output for the others, "-" standard
 * output), wrapped in the filters when any were given. Returns 0 or 1 with
 * a message on stderr. *f is the output file to close with
 * adi_cli_close_output after the sink is freed (NULL for a standard
 * stream). */
struct adi_sink;
struct adi_engine_opts;
int adi_cli_open_sink(const struct adi_cli *c, struct adi_sink **s, void **f);
/* Flush, close and free an output of adi_cli_open_sink (NULL: nothing).
 * 0, or -1 with errno set (the last buffered events could not be written). */
int adi_cli_close_output(void *f);
void adi_cli_engine_opts(const struct adi_cli *c, struct adi_engine_opts *o);
/* The text timeline's focus from --focus, --focus-net, --focus-above and
 * --all into so (docs/cli.md "Focus"); the web page's from the same. */
void adi_cli_focus(const struct adi_cli *c, struct adi_sink_opts *so);
/* The same for the web page's focus switch (ui.h adi_ui_set_focus). 0 or
 * 1 with a message on stderr. */
struct adi_ui;
int adi_cli_ui_focus(const struct adi_cli *c, struct adi_ui *u);
/* The families left out: --no-fs/--no-net/--no-proc, and those no event
 * of which can pass the filters (the kernel then produces none). */
void adi_cli_families(const struct adi_cli *c, bool *no_fs, bool *no_net, bool *no_proc);
/* After the trace: report sink/save errors on stderr (sink: the one the
 * engine wrote to, for its count of events lost after emit); returns true
 * when output was lost. */
struct adi_engine;
bool adi_cli_report(const struct adi_cli *c, struct adi_engine *e, struct adi_sink *sink);

#endif
