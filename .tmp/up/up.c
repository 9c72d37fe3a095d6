#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "up.skel.h"
/* up LIB OFF[:r] ... ; runs until stdin closes */
int main(int argc, char **argv) {
	struct up_bpf *s = up_bpf__open_and_load();
	if (!s) return 1;
	for (int i = 2; i < argc; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o);
		char *e; long off = strtol(argv[i], &e, 0);
		o.retprobe = *e == ':';
		if (!bpf_program__attach_uprobe_opts(s->progs.hit, -1, argv[1], off, &o)) { perror("attach"); return 1; }
	}
	fprintf(stderr, "attached\n");
	char b[8]; while (read(0, b, 8) > 0);
	return 0;
}
