/* writes seed inputs for fuzz_engine: option byte + u16-length chunks */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "abi/adi_abi.h"
static unsigned char out[65536]; static size_t on;
static void chunk(const void *r, size_t n, const void *tail, size_t tn) {
	out[on++] = (n + tn) & 0xff; out[on++] = (n + tn) >> 8;
	memcpy(out + on, r, n); on += n; if (tn) { memcpy(out + on, tail, tn); on += tn; }
}
static void hdr(struct adi_rec_hdr *h, int type, int op, size_t size, unsigned long ts, unsigned pid) {
	h->type = type; h->op = op; h->size = size; h->ts = ts; h->pid = pid; h->tid = pid; memcpy(h->comm, "app", 4);
}
static void save(const char *name) { FILE *f = fopen(name, "wb"); fwrite(out, 1, on, f); fclose(f); on = 0; }
int main(void) {
	for (int cfg = 0; cfg < 4; cfg++) {
		struct adi_rec_path p = {0}; struct adi_rec_io io = {0}; struct adi_rec_fd fd = {0};
		struct adi_rec_sock s = {0}; struct adi_rec_proc pr = {0};
		out[on++] = cfg == 0 ? 0xff & 0x1f : cfg * 0x15;
		hdr(&p.h, ADI_REC_PATH, ADI_OP_OPENAT, sizeof(p) + 5, 10, 1);
		p.ret = 3; p.dfd = -100; p.len1 = 5; p.fi.ino = 9; p.fi.kind = ADI_FD_REG; p.oflags = 0101;
		chunk(&p, sizeof(p), "a.txt", 5);
		for (int i = 0; i < 3; i++) {
			memset(&io, 0, sizeof(io));
			hdr(&io.h, ADI_REC_IO, i == 1 ? ADI_OP_WRITE : ADI_OP_READ, sizeof(io) + 4, 20 + i, 1);
			io.ret = io.size = 4; io.fd = 3; io.cap_len = 4; io.fi.kind = ADI_FD_REG; io.fi.ino = 9;
			io.flags = i == 1 ? ADI_F_OUT : 0;
			chunk(&io, sizeof(io), "data", 4);
		}
		hdr(&fd.h, ADI_REC_FD, ADI_OP_DUP2, sizeof(fd), 30, 1); fd.ret = 1; fd.fd = 3; fd.fd2 = 1;
		chunk(&fd, sizeof(fd), NULL, 0);
		hdr(&pr.h, ADI_REC_PROC, ADI_OP_FORK, sizeof(pr), 31, 2); pr.ppid = 1; pr.child_pid = 2;
		chunk(&pr, sizeof(pr), NULL, 0);
		hdr(&s.h, ADI_REC_SOCK, ADI_OP_SOCKET, sizeof(s), 40, 2); s.ret = 5; s.fd = 5; s.arg = AF_INET; s.arg2 = SOCK_STREAM;
		s.fi.kind = ADI_FD_SOCK; s.fi.ino = 77; s.sk.family = AF_INET; s.sk.type = SOCK_STREAM; s.sk.protocol = 6;
		chunk(&s, sizeof(s), NULL, 0);
		{ struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
		  sa.sin_addr.s_addr = htonl(0x7f000001);
		  s.h.op = ADI_OP_CONNECT; s.h.ts = 41; s.h.size = sizeof(s) + sizeof(sa); s.addrlen = sizeof(sa);
		  s.ret = cfg & 1 ? -115 : 0; s.sk.lport = 40000; s.sk.rport = 80;
		  chunk(&s, sizeof(s), &sa, sizeof(sa)); }
		if (cfg & 1) { s.h.op = ADI_OP_SO_ERROR; s.h.size = sizeof(s); s.addrlen = 0; s.arg = cfg & 2 ? 111 : 0; s.h.ts = 42; chunk(&s, sizeof(s), NULL, 0); }
		for (int i = 0; i < 4; i++) {
			memset(&io, 0, sizeof(io));
			hdr(&io.h, ADI_REC_IO, i & 1 ? ADI_OP_RECVFROM : ADI_OP_SENDTO, sizeof(io) + 3, 50 + i, 2);
			io.ret = io.size = 3; io.fd = 5; io.cap_len = 3; io.flags = (i & 1 ? 0 : ADI_F_OUT) | ADI_F_HAS_SEQ;
			io.seq = 100 + (i / 2) * 3 + (i == 3 ? 7 : 0); io.fi.kind = ADI_FD_SOCK; io.fi.ino = 77;
			io.sk = s.sk;
			chunk(&io, sizeof(io), "xyz", 3);
		}
		hdr(&fd.h, ADI_REC_FD, ADI_OP_CLOSE, sizeof(fd), 60, 2); fd.fd = 5; fd.ret = 0; fd.fi.kind = ADI_FD_SOCK; fd.fi.ino = 77;
		chunk(&fd, sizeof(fd), NULL, 0);
		hdr(&pr.h, ADI_REC_PROC, ADI_OP_EXEC, sizeof(pr) + 6 + 7, 70, 1); pr.argv_len = 6; pr.filename_len = 7;
		chunk(&pr, sizeof(pr), "ls\0-l\0/bin/ls", 13);
		hdr(&pr.h, ADI_REC_PROC, ADI_OP_EXIT, sizeof(pr), 80, 2); pr.argv_len = pr.filename_len = 0; pr.exit_code = 9;
		chunk(&pr, sizeof(pr), NULL, 0);
		p.h.op = ADI_OP_RENAME; p.h.ts = 90; p.len1 = 5; p.len2 = 5; p.h.size = sizeof(p) + 10; p.ret = 0;
		chunk(&p, sizeof(p), "a.txtb.txt", 10);
		char name[64]; snprintf(name, sizeof(name), "/tmp/ut-engine-fuzz/seeds/seed%d", cfg); save(name);
	}
	return 0;
}
