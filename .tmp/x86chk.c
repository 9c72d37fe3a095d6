#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/capture/ebpf/x86.h"
/* reads "addr len hexbytes" lines from objdump-derived input, compares lengths */
int main(int argc, char **argv) {
	FILE *f = fopen(argv[1], "rb"); long off = strtol(argv[2], 0, 0); long end = strtol(argv[3], 0, 0); long va = argc > 4 ? strtol(argv[4], 0, 0) : off;
	static unsigned char buf[1 << 24]; fseek(f, off, SEEK_SET); size_t n = fread(buf, 1, end - off, f);
	char line[512]; long bad = 0, unk = 0, tot = 0;
	while (fgets(line, sizeof line, stdin)) {
		long a; int l; if (sscanf(line, "%lx %d", &a, &l) != 2) continue;
		a = a - va + off; if (a < off || a >= end) continue;
		size_t got = adi_x86_len(buf + (a - off), n - (a - off)); tot++;
		if (!got) unk++; else if ((int)got != l) { if (bad++ < 10) { printf("mismatch at %lx: objdump %d mine %zu:", a, l, got); for (int i=0;i<l;i++) printf(" %02x", buf[a-off+i]); printf("\n"); } }
	}
	printf("total %ld mismatch %ld unknown %ld\n", tot, bad, unk);
}
