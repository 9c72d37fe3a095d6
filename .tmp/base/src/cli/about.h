/* about.h - what adi-profiler says about itself: --version (the version, the
 * libraries it runs with, the backends compiled in) and the man page and
 * shell completions, which the build writes with the program itself
 * (`adi-profiler --gen-doc man|bash|zsh|fish`, docs/install.md) from
 * main.c's verb table and options text: they cannot list a verb or an
 * option the program does not take. Not the parsing of options (main.c). */
#ifndef ADI_ABOUT_H
#define ADI_ABOUT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* One verb as main.c's table has it. */
struct adi_about_verb {
	const char *name;
	const char *synopsis; /* what follows the name: "FILE [OPTIONS]" */
	const char *help;     /* one line */
};

/* The version on its first line ("adi-profiler 0.1.0+g..."), then one
 * "name: value" line per fact: backends, libbpf, libnghttp2, libbson,
 * sqlite, zstd, allocator, linking. Library versions are those the
 * program runs with. Returns 0, or 1 when f could not be written. */
int adi_about_version(FILE *f);

/* what: "man", "bash", "zsh" or "fish": the man page (roff) or that
 * shell's completion script on f, from the n verbs, the options text
 * (the usage's lines "  -o, --output FILE   help", continued on lines
 * indented further; a lower-case METAVAR "a|b" lists the values, FILE
 * completes file names) and longopts (every option taken: one missing
 * from the text is described from the verb synopsis that shows it).
 * Returns 0; -EINVAL for another what; -EIO when f failed. */
int adi_about_doc(FILE *f, const char *what, const struct adi_about_verb *verbs, size_t n,
		  const char *options, const struct option *longopts);

#endif
