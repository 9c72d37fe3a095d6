/* syscalls.c - exercises the syscall variants a shell or Python does not
 * reach (openat2, creat, *at with directory fds, renameat2, close_range,
 * sendmmsg/recvmmsg, sendfile, splice, preadv2/pwritev2, fchdir), for
 * test_syscalls.py. Every call's outcome is checked here, so a wrong
 * expectation in the test cannot come from a failed call.
 * usage: syscalls DIR */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { perror(#x); exit(10 + __LINE__ % 100); } } while (0)

int main(int argc, char **argv)
{
	struct open_how how = { .flags = O_WRONLY | O_CREAT, .mode = 0600 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct mmsghdr out[3], in[3];
	struct iovec oi[3], ii[3];
	char ib[3][16], buf[64];
	int dfd, fd, fd2, l, c, s, p[2];

	CHECK(argc == 2);
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	/* openat2 relative to a directory fd, then creat */
	fd = syscall(SYS_openat2, dfd, "o2.txt", &how, sizeof(how));
	CHECK(fd >= 0);
	CHECK(write(fd, "openat2\n", 8) == 8);
	CHECK(close(fd) == 0);
	CHECK(fchdir(dfd) == 0);
	fd = creat("creat.txt", 0644);
	CHECK(fd >= 0);
	struct iovec v[2] = { { "pw", 2 }, { "v2", 2 } };
	CHECK(pwritev2(fd, v, 2, 0, 0) == 4);
	CHECK(close(fd) == 0);
	fd = open("creat.txt", O_RDONLY);
	CHECK(fd >= 0);
	char r1[1], r2[8];
	struct iovec rv[2] = { { r1, 1 }, { r2, 8 } };
	CHECK(preadv2(fd, rv, 2, 0, 0) == 4);
	/* sendfile a file into a pipe, splice it into another file */
	CHECK(pipe(p) == 0);
	CHECK(sendfile(p[1], fd, NULL, 4) == 4);
	fd2 = openat(dfd, "spliced.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd2 >= 0);
	CHECK(splice(p[0], NULL, fd2, NULL, 4, 0) == 4);
	/* *at metadata calls */
	CHECK(renameat2(dfd, "spliced.txt", dfd, "moved.txt", RENAME_NOREPLACE) == 0);
	CHECK(linkat(dfd, "moved.txt", dfd, "hard.txt", 0) == 0);
	CHECK(symlinkat("moved.txt", dfd, "sym.txt") == 0);
	CHECK(fchmodat(dfd, "moved.txt", 0604, 0) == 0);
	CHECK(fchownat(dfd, "moved.txt", 42, 43, 0) == 0);
	CHECK(ftruncate(fd2, 2) == 0);
	CHECK(mkdirat(dfd, "sub", 0700) == 0);
	CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR) == 0);
	/* close everything above 2 in one call */
	CHECK(syscall(SYS_close_range, 3, ~0U, 0) == 0);

	/* TCP over loopback: 3 messages with sendmmsg, read with recvmmsg */
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	CHECK(bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&sa, &sl) == 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	memset(out, 0, sizeof(out));
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 3; i++) {
		static const char *m[3] = { "one|", "two|", "three" };

		oi[i].iov_base = (void *)m[i];
		oi[i].iov_len = strlen(m[i]);
		out[i].msg_hdr.msg_iov = &oi[i];
		out[i].msg_hdr.msg_iovlen = 1;
		ii[i].iov_base = ib[i];
		ii[i].iov_len = i == 2 ? 16 : 4;
		in[i].msg_hdr.msg_iov = &ii[i];
		in[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(sendmmsg(c, out, 3, 0) == 3);
	usleep(20000);
	CHECK(recvmmsg(s, in, 3, MSG_DONTWAIT, NULL) == 3);
	CHECK(in[0].msg_len + in[1].msg_len + in[2].msg_len == 13);
	CHECK(send(s, "ok", 2, 0) == 2);
	CHECK(recv(c, buf, sizeof(buf), 0) == 2);
	close(c);
	close(s);
	close(l);
	return 0;
}
