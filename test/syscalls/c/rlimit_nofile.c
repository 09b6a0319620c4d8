/* rlimit_nofile: RLIMIT_NOFILE bounds the FD table (EMFILE for open and
 * dup, EBADF for dup2 past it, EINVAL for F_DUPFD past it), is inherited,
 * and prlimit reads and sets another process's limits (ESRCH for a
 * missing one).
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "test.h"

int main(void)
{
	struct rlimit lim = {.rlim_cur = 64, .rlim_max = 4096};
	CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);

	int last = -1, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(last, 63);
	CHECK_ERRNO(dup(0), EMFILE);
	CHECK_ERRNO(dup2(0, 64), EBADF);
	CHECK_ERRNO(fcntl(0, F_DUPFD, 64), EINVAL);
	int p[2];
	CHECK_ERRNO(pipe(p), EMFILE);
	PASS("RLIMIT_NOFILE bounds the table");

	/* Raising the soft limit lets more in. */
	lim.rlim_cur = 128;
	CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	CHECK_EQ(dup2(0, 100), 100);
	for (int i = 3; i <= last; i++)
		close(i);
	close(100);

	/* soft > hard, and a hard limit beyond nr_open. */
	lim.rlim_cur = 8192;
	CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &lim), EINVAL);
	lim.rlim_cur = lim.rlim_max = (rlim_t)1 << 30;
	CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &lim), EPERM);
	PASS("setrlimit errors");

	/* A child inherits it; prlimit reads and changes the child's. */
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit r;
		char c;
		CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0);
		CHECK_EQ(r.rlim_cur, 128);
		CHECK(write(ready[1], "x", 1) == 1);
		CHECK(read(go[0], &c, 1) == 1);
		CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0);
		_exit(r.rlim_cur == 32 ? 0 : 1);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	struct rlimit r, set = {.rlim_cur = 32, .rlim_max = 4096};
	CHECK(prlimit(pid, RLIMIT_NOFILE, NULL, &r) == 0);
	CHECK_EQ(r.rlim_cur, 128);
	CHECK(prlimit(pid, RLIMIT_NOFILE, &set, &r) == 0);
	CHECK(write(go[1], "x", 1) == 1);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_ERRNO(prlimit(4194000, RLIMIT_NOFILE, NULL, &r), ESRCH);
	CHECK_ERRNO(prlimit(0, 99, NULL, &r), EINVAL);
	PASS("inherited; prlimit of another process");

	return 0;
}
