/* cli.h - the options every verb shares (docs/cli.md) and the verbs' entry
 * points. main.c parses; each verb in its own file does the work. */
#ifndef ADI_CLI_H
#define ADI_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum adi_format { ADI_FMT_AUTO, ADI_FMT_TEXT, ADI_FMT_JSON };

struct adi_cli {
	const char *output;        /* -o; NULL or "-" for stdout */
	enum adi_format format;
	double duration_s;         /* 0: none */
	const char *backend;       /* NULL: best available */
	bool no_net, no_fs, no_proc, show_secrets;
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
};

/* Each returns the process exit status (docs/cli.md). */
int adi_verb_run(struct adi_cli *c);
int adi_verb_attach_pid(struct adi_cli *c);
int adi_verb_attach_container(struct adi_cli *c);
int adi_verb_replay(struct adi_cli *c);
int adi_verb_view(struct adi_cli *c);
int adi_verb_ui(struct adi_cli *c);

/* Shared by the verbs: open the sink for -o/--format. Returns 0 or 1 with a
 * message on stderr. *f is the output file to close with adi_cli_close_output
 * after the sink is freed (NULL for stdout). */
struct adi_sink;
struct adi_engine_opts;
int adi_cli_open_sink(const struct adi_cli *c, struct adi_sink **s, void **f);
/* Flush, close and free an output of adi_cli_open_sink (NULL: nothing).
 * 0, or -1 with errno set (the last buffered events could not be written). */
int adi_cli_close_output(void *f);
void adi_cli_engine_opts(const struct adi_cli *c, struct adi_engine_opts *o);
/* After the trace: report sink/save errors on stderr (sink: the one the
 * engine wrote to, for its count of events lost after emit); returns true
 * when output was lost. */
struct adi_engine;
bool adi_cli_report(const struct adi_cli *c, struct adi_engine *e, struct adi_sink *sink);

#endif
