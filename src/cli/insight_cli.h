/* insight_cli.h - what the verbs on the insight model share (report.c,
 * diff.c): reading a trace into a model, the output file and the options
 * report, deps and diff all take. Not used by main.c. */
#ifndef ADI_INSIGHT_CLI_H
#define ADI_INSIGHT_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "../insight/insight.h"

/* getopt values of the shared long options */
enum { ADI_INS_O_FORMAT = 256, ADI_INS_O_N1, ADI_INS_O_TOP };

struct adi_ins_args {
	const char *output;        /* -o; NULL or "-": standard output */
	bool json;                 /* --format json */
	struct adi_insight_opts o; /* --n1-min, --top */
};

/* Every event of the trace at path into in (then finished). 0; 1 with a
 * message on stderr when the trace could not be read whole (what was read
 * is in the model); -1 with a message when it could not be opened. */
int adi_ins_load(const char *path, struct adi_insight *in);
/* The same, every event also counted into tree (src/sink/proctree.h) when
 * it is not NULL. */
struct adi_proctree;
int adi_ins_load_tree(const char *path, struct adi_insight *in, struct adi_proctree *tree);
/* The output named by -o (standard output for NULL or "-"), or NULL with
 * a message; closed (and its write errors told) by adi_ins_close_output,
 * which returns 0 or -1. */
FILE *adi_ins_output(const char *path);
int adi_ins_close_output(FILE *f, const char *path);
/* One of the shared options into *a: -1 when taken, else the exit status
 * of a usage error (2, with a message). */
int adi_ins_opt(int opt, const char *arg, struct adi_ins_args *a);

#endif
