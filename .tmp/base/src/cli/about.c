/* about.c - --version, and the man page and shell completions written from
 * main.c's verb table and options text (about.h). The options text is read
 * once into a small table all four writers share; an option documented
 * nowhere, or a table too small, fails the generation (and so the build)
 * rather than leaving it out. No state kept between calls. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bson/bson.h>
#include <nghttp2/nghttp2.h>
#include <sqlite3.h>
#include <zstd.h>
#ifndef __APPLE__
#include <bpf/libbpf.h>
#endif
#ifdef ADI_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

#include "about.h"
#include "../capture/capture.h"
#include "../lib/version.h"

int adi_about_version(FILE *f)
{
	fprintf(f, "adi-profiler %s\n", adi_version());
	fputs("backends:", f);
	for (int i = 0; adi_backends[i]; i++)
		fprintf(f, " %s", adi_backends[i]->name);
	fputc('\n', f);
#ifndef __APPLE__
	/* the library itself knows only major.minor */
	fprintf(f, "libbpf: %u.%u\n", libbpf_major_version(), libbpf_minor_version());
#endif
	fprintf(f, "libnghttp2: %s\n", nghttp2_version(0)->version_str);
	fprintf(f, "libbson: %s\n", bson_get_version());
	fprintf(f, "sqlite: %s\n", sqlite3_libversion());
	fprintf(f, "zstd: %s\n", ZSTD_versionString());
#ifdef ADI_HAVE_MIMALLOC
	{
		int v = mi_version(); /* 209 for 2.0.9 */

		fprintf(f, "allocator: mimalloc %d.%d.%d\n", v / 100, v / 10 % 10, v % 10);
	}
#else
	fputs("allocator: the C library's malloc\n", f);
#endif
#ifdef ADI_PORTABLE
	fputs("linking: static but for the C library (portable)\n", f);
#else
	fputs("linking: shared libraries\n", f);
#endif
	return fflush(f) || ferror(f) ? 1 : 0;
}

/* ---- the options, read from the usage text ---- */

#define ADI_ABOUT_MAX_OPTS 48
#define ADI_ABOUT_MAX_NAMES 4

struct about_opt {
	char names[ADI_ABOUT_MAX_NAMES][32]; /* "-o", "--output" */
	int nnames;
	char metavar[40];   /* "FILE", "text|json"; "" for a flag */
	char help[400];     /* its lines joined; "" when only a verb shows it */
	size_t brief;       /* the completions' part: up to " (" or the line's end */
	const char *verb;   /* not in the options text: the verb that shows it */
};

struct about {
	const struct adi_about_verb *verbs;
	size_t nverbs;
	struct about_opt opt[ADI_ABOUT_MAX_OPTS];
	int nopt;
};

/* Copy n bytes of s after what dst holds (size cap). -E2BIG when short. */
static int cat(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);

	if (len + n >= cap)
		return -E2BIG;
	memcpy(dst + len, s, n);
	dst[len + n] = '\0';
	return 0;
}

/* "-o, --output FILE" (hl bytes at head) into o's names and metavar; the
 * last name's metavar is the option's. */
static int parse_head(struct about_opt *o, const char *head, size_t hl)
{
	const char *p = head, *end = head + hl;

	while (p < end) {
		const char *item_end = memmem(p, (size_t)(end - p), ", ", 2);
		const char *sp;

		if (!item_end)
			item_end = end;
		sp = memchr(p, ' ', (size_t)(item_end - p));
		if (o->nnames == ADI_ABOUT_MAX_NAMES)
			return -E2BIG;
		if (cat(o->names[o->nnames++], sizeof(o->names[0]), p,
			(size_t)((sp ? sp : item_end) - p)))
			return -E2BIG;
		if (sp) {
			o->metavar[0] = '\0';
			if (cat(o->metavar, sizeof(o->metavar), sp + 1, (size_t)(item_end - sp - 1)))
				return -E2BIG;
		}
		p = item_end == end ? end : item_end + 2;
	}
	return 0;
}

/* The usage's option lines: "  -x, --name METAVAR   help", continued on
 * lines that start with more spaces. */
static int parse_text(struct about *a, const char *text)
{
	struct about_opt *o = NULL;
	const char *p = text;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *s = p;

		while (s < p + len && *s == ' ')
			s++;
		if (s == p + 2 && *s == '-') {
			const char *gap = memmem(s, len - 2, "  ", 2);

			if (a->nopt == ADI_ABOUT_MAX_OPTS)
				return -E2BIG;
			o = &a->opt[a->nopt++];
			memset(o, 0, sizeof(*o));
			if (parse_head(o, s, gap ? (size_t)(gap - s) : len - 2))
				return -E2BIG;
			s = gap ? gap : p + len;
			while (s < p + len && *s == ' ')
				s++;
		} else if (!o || s == p + len || s < p + 3) {
			return -EINVAL; /* not an option line nor a continuation */
		} else if (cat(o->help, sizeof(o->help), " ", 1)) {
			return -E2BIG;
		}
		if (cat(o->help, sizeof(o->help), s, (size_t)(p + len - s)))
			return -E2BIG;
		if (!o->brief) {
			const char *paren = strstr(o->help, " (");

			o->brief = paren ? (size_t)(paren - o->help) : strlen(o->help);
		}
		p = eol ? eol + 1 : p + len;
	}
	return 0;
}

static struct about_opt *find_opt(struct about *a, const char *dashed)
{
	for (int i = 0; i < a->nopt; i++)
		for (int k = 0; k < a->opt[i].nnames; k++)
			if (!strcmp(a->opt[i].names[k], dashed))
				return &a->opt[i];
	return NULL;
}

/* A long option the text leaves out (attach's --pid, help's --help): the
 * verb whose synopsis or help names it describes it, its METAVAR the word
 * after it there. None: -EINVAL (document it in the usage). */
static int add_from_verbs(struct about *a, const struct option *lo)
{
	struct about_opt *o;
	char dashed[32];

	if ((size_t)snprintf(dashed, sizeof(dashed), "--%s", lo->name) >= sizeof(dashed))
		return -E2BIG;
	if (find_opt(a, dashed))
		return 0;
	if (a->nopt == ADI_ABOUT_MAX_OPTS)
		return -E2BIG;
	o = &a->opt[a->nopt];
	memset(o, 0, sizeof(*o));
	strcpy(o->names[o->nnames++], dashed);
	for (size_t i = 0; i < a->nverbs && !o->verb; i++) {
		const char *at = strstr(a->verbs[i].synopsis, dashed);
		size_t n;

		if (!at)
			at = strstr(a->verbs[i].help, dashed);
		if (!at)
			continue;
		o->verb = a->verbs[i].name;
		at += strlen(dashed);
		if (lo->has_arg && *at == ' ') {
			n = strcspn(at + 1, " )]");
			if (cat(o->metavar, sizeof(o->metavar), at + 1, n))
				return -E2BIG;
		}
	}
	if (!o->verb || (lo->has_arg && !o->metavar[0]))
		return -EINVAL;
	a->nopt++;
	return 0;
}

/* What an option's value is, for the completions. */
enum about_val {
	ADI_VAL_NONE = 1,   /* a flag */
	ADI_VAL_CHOICE = 2, /* METAVAR "text|json": the values (lower case), not a name */
	ADI_VAL_FILE = 4,   /* METAVAR FILE */
	ADI_VAL_OTHER = 8,  /* a number, a name: nothing to offer */
};

static bool is_choice(const char *metavar)
{
	if (!strchr(metavar, '|'))
		return false;
	for (const char *p = metavar; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '|')
			return false;
	return true;
}

static enum about_val val_of(const struct about_opt *o)
{
	if (!o->metavar[0])
		return ADI_VAL_NONE;
	if (is_choice(o->metavar))
		return ADI_VAL_CHOICE;
	return strcmp(o->metavar, "FILE") ? ADI_VAL_OTHER : ADI_VAL_FILE;
}

/* ---- the writers ---- */

/* s for roff: \ and - escaped, a line start guarded */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void write_man(FILE *f, const struct about *a)
{
	fputs(".TH ADI\\-PROFILER 1 \"\" \"", f);
	roff(f, adi_version());
	fputs("\" \"User Commands\"\n"
	      ".SH NAME\n"
	      "adi\\-profiler \\- what a program did on disk and on the wire, traced from the kernel\n"
	      ".SH SYNOPSIS\n", f);
	for (size_t i = 0; i < a->nverbs; i++) {
		fputs(".B adi\\-profiler ", f);
		roff(f, a->verbs[i].name);
		fputc('\n', f);
		if (*a->verbs[i].synopsis) {
			roff(f, a->verbs[i].synopsis);
			fputc('\n', f);
		}
		fputs(".br\n", f);
	}
	fputs(".SH DESCRIPTION\n"
	      "adi\\-profiler watches a program from the kernel and prints, as a timeline, what\n"
	      "the program and every process it starts did on disk and on the wire: processes,\n"
	      "files, connections, and the requests of the protocols it decodes (HTTP/1, HTTP/2\n"
	      "and gRPC, PostgreSQL, MySQL, Redis, MongoDB), with no change to the program.\n"
	      ".PP\n"
	      "The eBPF backend needs root and a kernel with BTF (/sys/kernel/btf/vmlinux);\n"
	      "when it cannot start, one line says why and the ptrace backend is used.\n"
	      "Events can be written as text, as JSON Lines, or into an SQLite store, and\n"
	      "looked at in the browser.\n"
	      ".SH VERBS\n", f);
	for (size_t i = 0; i < a->nverbs; i++) {
		fputs(".TP\n.B ", f);
		roff(f, a->verbs[i].name);
		fputc('\n', f);
		roff(f, a->verbs[i].help);
		fputc('\n', f);
	}
	fputs(".SH OPTIONS\n", f);
	for (int i = 0; i < a->nopt; i++) {
		const struct about_opt *o = &a->opt[i];

		fputs(".TP\n", f);
		for (int k = 0; k < o->nnames; k++) {
			fputs(k ? ", \\fB" : "\\fB", f);
			roff(f, o->names[k]);
			fputs("\\fR", f);
		}
		if (o->metavar[0]) {
			fputs(" \\fI", f);
			roff(f, o->metavar);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		if (o->verb) {
			fputs("see the verb \\fB", f);
			roff(f, o->verb);
			fputs("\\fR\n", f);
		} else {
			roff(f, o->help);
			fputc('\n', f);
		}
	}
	fputs(".SH EXIT STATUS\n"
	      "\\fBrun\\fR: the command's exit status (128+N when signal N killed it).\n"
	      "The other verbs: 0, or 1 for a capture error or a file that cannot be read.\n"
	      "All: 2 for a usage error.\n"
	      ".SH SEE ALSO\n"
	      "The contracts, in the package's documentation folder\n"
	      "(share/doc/adi\\-profiler): cli.md (every verb, option, default and exit status),\n"
	      "events.md (the events and their fields), store.md (the SQLite store),\n"
	      "capture.md (the backends), install.md (packages, the portable binary, the version).\n", f);
}

/* s in a POSIX shell's single quotes (without them) */
static void sq(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(s[i], f);
}

/* the names of the options whose value is one of the kinds (a mask of
 * enum about_val), sep between them */
static void names(FILE *f, const struct about *a, unsigned kinds, const char *sep)
{
	bool first = true;

	for (int i = 0; i < a->nopt; i++) {
		if (!(val_of(&a->opt[i]) & kinds))
			continue;
		for (int k = 0; k < a->opt[i].nnames; k++) {
			fprintf(f, "%s%s", first ? "" : sep, a->opt[i].names[k]);
			first = false;
		}
	}
}

static bool any(const struct about *a, unsigned kinds)
{
	for (int i = 0; i < a->nopt; i++)
		if (val_of(&a->opt[i]) & kinds)
			return true;
	return false;
}

/* a METAVAR "text|json" as "text json" */
static void choices(FILE *f, const char *metavar)
{
	for (const char *p = metavar; *p; p++)
		fputc(*p == '|' ? ' ' : *p, f);
}

/* the verbs whose first operand is FILE */
static void file_verbs(FILE *f, const struct about *a, const char *sep)
{
	bool first = true;

	for (size_t i = 0; i < a->nverbs; i++)
		if (!strncmp(a->verbs[i].synopsis, "FILE", 4)) {
			fprintf(f, "%s%s", first ? "" : sep, a->verbs[i].name);
			first = false;
		}
}

static void write_bash(FILE *f, const struct about *a)
{
	fputs("# bash completion for adi-profiler: written by `adi-profiler --gen-doc bash`\n"
	      "# from its verb table and options (src/cli/about.c); do not edit.\n"
	      "_adi_profiler()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal verb=${COMP_WORDS[1]} i\n"
	      "\tCOMPREPLY=()\n"
	      "\tif ((COMP_CWORD == 1)); then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", f);
	for (size_t i = 0; i < a->nverbs; i++)
		fprintf(f, "%s%s", i ? " " : "", a->verbs[i].name);
	fputs("' -- \"$cur\"))\n\t\treturn\n\tfi\n\tcase $prev in\n", f);
	for (int i = 0; i < a->nopt; i++) {
		const struct about_opt *o = &a->opt[i];

		if (val_of(o) != ADI_VAL_CHOICE)
			continue;
		fputc('\t', f);
		for (int k = 0; k < o->nnames; k++)
			fprintf(f, "%s%s", k ? "|" : "", o->names[k]);
		fputs(")\n\t\tCOMPREPLY=($(compgen -W '", f);
		choices(f, o->metavar);
		fputs("' -- \"$cur\"))\n\t\treturn\n\t\t;;\n", f);
	}
	if (any(a, ADI_VAL_FILE)) {
		fputc('\t', f);
		names(f, a, ADI_VAL_FILE, "|");
		fputs(")\n\t\tcompopt -o filenames\n"
		      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
		      "\t\treturn\n\t\t;;\n", f);
	}
	if (any(a, ADI_VAL_OTHER)) {
		fputc('\t', f);
		names(f, a, ADI_VAL_OTHER, "|");
		fputs(")\n\t\treturn # a number, a name: nothing to offer\n\t\t;;\n", f);
	}
	fputs("\tesac\n"
	      "\tif [[ $verb == run ]]; then\n"
	      "\t\t# the command: after --, or the first word that is no option\n"
	      "\t\tfor ((i = 2; i < COMP_CWORD; i++)); do\n"
	      "\t\t\tcase ${COMP_WORDS[i]} in\n"
	      "\t\t\t--) ((i++)); break ;;\n\t\t\t", f);
	names(f, a, ADI_VAL_CHOICE | ADI_VAL_FILE | ADI_VAL_OTHER, "|");
	fputs(") ((i++)) ;;\n"
	      "\t\t\t-*) ;;\n"
	      "\t\t\t*) break ;;\n"
	      "\t\t\tesac\n"
	      "\t\tdone\n"
	      "\t\tif ((i < COMP_CWORD)); then\n"
	      "\t\t\tcompopt -o default # the command's own arguments\n"
	      "\t\t\treturn\n"
	      "\t\tfi\n"
	      "\t\tif [[ $cur != -* || ${COMP_WORDS[i-1]} == -- ]]; then\n"
	      "\t\t\tCOMPREPLY=($(compgen -c -- \"$cur\"))\n"
	      "\t\t\treturn\n"
	      "\t\tfi\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '", f);
	names(f, a, ~0u, " ");
	fputs("' -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $verb in\n\t", f);
	file_verbs(f, a, "|");
	fputs(")\n"
	      "\t\tcompopt -o filenames\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\t\t;;\n"
	      "\tesac\n"
	      "}\n"
	      "complete -F _adi_profiler adi-profiler\n", f);
}

/* a description in zsh's _arguments / _describe: ' [ ] : escaped */
static void zdesc(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			fputs("'\\''", f);
		else if (s[i] == '[' || s[i] == ']' || s[i] == ':' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else
			fputc(s[i], f);
	}
}

static void write_zsh(FILE *f, const struct about *a)
{
	fputs("#compdef adi-profiler\n"
	      "# zsh completion for adi-profiler: written by `adi-profiler --gen-doc zsh`\n"
	      "# from its verb table and options (src/cli/about.c); do not edit.\n"
	      "local -a verbs opts\n"
	      "verbs=(\n", f);
	for (size_t i = 0; i < a->nverbs; i++) {
		fprintf(f, "\t'%s:", a->verbs[i].name);
		zdesc(f, a->verbs[i].help, strlen(a->verbs[i].help));
		fputs("'\n", f);
	}
	fputs(")\nopts=(\n", f);
	for (int i = 0; i < a->nopt; i++) {
		const struct about_opt *o = &a->opt[i];

		for (int k = 0; k < o->nnames; k++) {
			fprintf(f, "\t'%s[", o->names[k]);
			if (o->verb)
				fprintf(f, "see the verb %s", o->verb);
			else
				zdesc(f, o->help, o->brief);
			fputc(']', f);
			if (val_of(o) == ADI_VAL_CHOICE) {
				fputs(":value:(", f);
				choices(f, o->metavar);
				fputc(')', f);
			} else if (val_of(o) == ADI_VAL_FILE) {
				fputs(":file:_files", f);
			} else if (val_of(o) == ADI_VAL_OTHER) {
				fputc(':', f);
				zdesc(f, o->metavar, strlen(o->metavar));
				fputs(": ", f);
			}
			fputs("'\n", f);
		}
	}
	fputs(")\n"
	      "if (( CURRENT == 2 )); then\n"
	      "\t_describe -t verbs verb verbs\n"
	      "\treturn\n"
	      "fi\n"
	      "local verb=$words[2]\n"
	      "shift words\n"
	      "(( CURRENT-- ))\n"
	      "case $verb in\n"
	      "run) _arguments -S $opts '*::command:_normal' ;;\n", f);
	file_verbs(f, a, "|");
	fputs(") _arguments $opts '1:file:_files' ;;\n"
	      "*) _arguments $opts ;;\n"
	      "esac\n", f);
}

static void write_fish(FILE *f, const struct about *a)
{
	fputs("# fish completion for adi-profiler: written by `adi-profiler --gen-doc fish`\n"
	      "# from its verb table and options (src/cli/about.c); do not edit.\n"
	      "complete -c adi-profiler -f\n", f);
	for (size_t i = 0; i < a->nverbs; i++) {
		fprintf(f, "complete -c adi-profiler -n __fish_use_subcommand -a %s -d '",
			a->verbs[i].name);
		sq(f, a->verbs[i].help, strlen(a->verbs[i].help));
		fputs("'\n", f);
	}
	for (int i = 0; i < a->nopt; i++) {
		const struct about_opt *o = &a->opt[i];

		fputs("complete -c adi-profiler", f);
		for (int k = 0; k < o->nnames; k++)
			if (o->names[k][1] == '-')
				fprintf(f, " -l %s", o->names[k] + 2);
			else
				fprintf(f, " -s %s", o->names[k] + 1);
		if (val_of(o) == ADI_VAL_CHOICE) {
			fputs(" -x -a '", f);
			choices(f, o->metavar);
			fputc('\'', f);
		} else if (val_of(o) == ADI_VAL_FILE) {
			fputs(" -r -F", f);
		} else if (val_of(o) == ADI_VAL_OTHER) {
			fputs(" -x", f);
		}
		fputs(" -d '", f);
		if (o->verb)
			fprintf(f, "see the verb %s", o->verb);
		else
			sq(f, o->help, o->brief);
		fputs("'\n", f);
	}
	fputs("complete -c adi-profiler -n '__fish_seen_subcommand_from ", f);
	file_verbs(f, a, " ");
	fputs("' -F\n"
	      "complete -c adi-profiler -n '__fish_seen_subcommand_from run' "
	      "-a '(__fish_complete_subcommand --fcs-skip=2)'\n", f);
}

int adi_about_doc(FILE *f, const char *what, const struct adi_about_verb *verbs, size_t n,
		  const char *options, const struct option *longopts)
{
	static const struct {
		const char *name;
		void (*write)(FILE *f, const struct about *a);
	} writers[] = {
		{ "man", write_man }, { "bash", write_bash },
		{ "zsh", write_zsh }, { "fish", write_fish },
	};
	struct about a = { .verbs = verbs, .nverbs = n };
	int rc;

	rc = parse_text(&a, options);
	for (const struct option *lo = longopts; !rc && lo->name; lo++)
		rc = add_from_verbs(&a, lo);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		if (!strcmp(what, writers[i].name)) {
			writers[i].write(f, &a);
			return fflush(f) || ferror(f) ? -EIO : 0;
		}
	return -EINVAL;
}
