/* pipe: data through a pipe within and across processes, EOF after the
 * writer closes, EPIPE and SIGPIPE when the reader is gone, pipe2 flags. */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	if (sig == SIGPIPE)
		sigpipes++;
}

int main(void)
{
	int p[2];
	char buf[256];

	/* data in order, then EOF once the only writer is closed */
	CHECK(pipe(p) == 0);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(write(p[1], "def", 3), 3);
	CHECK_EQ(read(p[0], buf, 4), 4);
	CHECK(memcmp(buf, "abcd", 4) == 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "ef", 2) == 0);
	CHECK_ERRNO(read(p[1], buf, 1), EBADF); /* write end */
	CHECK_ERRNO(write(p[0], "x", 1), EBADF); /* read end */
	CHECK(close(p[1]) == 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK(close(p[0]) == 0);
	PASS("data-eof");

	/* a reader blocked in another process sees the data, then EOF; large
	 * transfers arrive complete and in order */
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		static char big[200000];
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)(i * 7 + i / 251);
		write_all(p[1], big, sizeof(big));
		_exit(0);
	}
	CHECK(close(p[1]) == 0);
	size_t total = 0;
	for (;;) {
		ssize_t r = read(p[0], buf, sizeof(buf));
		CHECK(r >= 0);
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++, total++)
			CHECK(buf[i] == (char)(total * 7 + total / 251));
	}
	CHECK_EQ(total, 200000);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(close(p[0]) == 0);
	PASS("across-fork");

	/* writing with no reader: EPIPE, and SIGPIPE to the writer */
	CHECK(signal(SIGPIPE, on_sigpipe) != SIG_ERR);
	CHECK(pipe(p) == 0);
	CHECK(close(p[0]) == 0);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 1);
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 1);
	CHECK(close(p[1]) == 0);
	PASS("epipe-sigpipe");

	/* SIGPIPE's default action kills the writer */
	CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	CHECK(pipe(p) == 0);
	CHECK(close(p[0]) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	CHECK(close(p[1]) == 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
	PASS("sigpipe-default-kills");

	/* pipe2 flags */
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	CHECK(pipe2(p, 0) == 0);
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	CHECK_ERRNO(pipe2(p, 0x12345678), EINVAL);
	PASS("pipe2-cloexec");

	/* O_NONBLOCK: EAGAIN on an empty pipe */
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK_ERRNO(read(p[0], buf, 1), EAGAIN);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(read(p[0], buf, 1), 1);
	CHECK_EQ(buf[0], 'z');
	/* fill it: a non-blocking write eventually returns EAGAIN */
	memset(buf, 'f', sizeof(buf));
	long filled = 0;
	for (;;) {
		ssize_t w = write(p[1], buf, sizeof(buf));
		if (w < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		filled += w;
		CHECK(filled <= 16 << 20);
	}
	CHECK(filled >= 4096);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	PASS("nonblock");

	/* The pipe-size commands apply to pipes only. */
	CHECK(pipe(p) == 0);
	CHECK(fcntl(p[0], F_GETPIPE_SZ) >= 4096 && fcntl(p[1], F_GETPIPE_SZ) >= 4096);
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK_ERRNO(fcntl(sv[0], F_GETPIPE_SZ), EBADF);
	CHECK_ERRNO(fcntl(sv[0], F_SETPIPE_SZ, 65536), EBADF);
	int null = open("/dev/null", O_RDONLY);
	CHECK(null >= 0);
	CHECK_ERRNO(fcntl(null, F_GETPIPE_SZ), EBADF);
	CHECK(close(null) == 0 && close(sv[0]) == 0 && close(sv[1]) == 0);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	PASS("pipe size");
	return 0;
}
