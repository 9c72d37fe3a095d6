/* workload.c - the program the golden raw captures in tests/replay/data were
 * recorded from (see make_capture.sh). Static, so the capture holds only
 * what it does, not the dynamic loader's work: easy to review by hand.
 * usage: workload DIR PORT  (a server must listen on 127.0.0.1:PORT) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char a[512], b[512], buf[256];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct iovec iov[2] = { { "he", 2 }, { "llo\n", 4 } };
	int fd, s, n;
	pid_t pid;

	if (argc != 3)
		return 2;
	if (chdir(argv[1]))
		return 2;
	snprintf(a, sizeof(a), "%s/a.txt", argv[1]);
	snprintf(b, sizeof(b), "%s/b.txt", argv[1]);
	fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640);
	writev(fd, iov, 2);
	write(fd, "world\n", 6);
	close(fd);
	rename(a, "b.txt");
	fd = open(b, O_RDONLY);
	while (read(fd, buf, 4) > 0)
		;
	close(fd);
	open("missing.txt", O_RDONLY);
	mkdir("d", 0750);
	rmdir("d");
	pid = fork();
	if (pid == 0) {
		fd = open("child.txt", O_WRONLY | O_CREAT, 0600);
		write(fd, "from the child\n", 15);
		_exit(3);
	}
	waitpid(pid, NULL, 0);
	unlink("child.txt");
	unlink("b.txt");
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(atoi(argv[2]));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		send(s, "PING\r\n", 6, 0);
		n = recv(s, buf, sizeof(buf), 0);
		(void)n;
	}
	close(s);
	return 0;
}
