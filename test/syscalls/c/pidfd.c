/* pidfd: pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD)
 * and CLONE_PIDFD through clone3; a pidfd polls readable once its
 * process has exited, and POLLHUP too once it was reaped.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/syscall.h>

#include "test.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static int pidfd_getfd(int fd, int target, unsigned flags) { return (int)syscall(SYS_pidfd_getfd, fd, target, flags); }

static short poll1(int fd, int timeout)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n = poll(&p, 1, timeout);
	CHECK(n >= 0);
	return n ? p.revents : 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int self = pidfd_open(getpid(), 0);
	CHECK(self >= 0);
	CHECK_EQ(fcntl(self, F_GETFD), FD_CLOEXEC);
	char path[64], link[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", self);
	ssize_t n = readlink(path, link, sizeof link - 1);
	CHECK(n > 0);
	link[n] = 0;
	printf("link %s\n", link);
	CHECK_EQ(poll1(self, 0), 0);
	CHECK_EQ(pidfd_send_signal(self, 0, NULL, 0), 0);
	CHECK_ERRNO(pidfd_open(getpid(), 1), EINVAL);
	CHECK_ERRNO(pidfd_open(0, 0), EINVAL);
	CHECK_ERRNO(pidfd_open(4194000, 0), ESRCH);
	CHECK_ERRNO(pidfd_send_signal(self, 0, NULL, 8), EINVAL);
	CHECK_ERRNO(pidfd_send_signal(0, 0, NULL, 0), EBADF);
	CHECK_ERRNO(pidfd_send_signal(9999, 0, NULL, 0), EBADF);
	PASS("pidfd_open");

	/* A child that holds a pipe with data; the parent takes its read
	 * end with pidfd_getfd, then kills it through the pidfd. */
	int ready[2], data[2];
	CHECK(pipe(ready) == 0 && pipe(data) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(write(data[1], "hi", 2) == 2);
		CHECK(write(ready[1], "x", 1) == 1);
		for (;;)
			pause();
	}
	close(data[1]);
	int child_rfd = data[0];
	char c;
	CHECK(read(ready[0], &c, 1) == 1);
	int pfd = pidfd_open(pid, 0);
	CHECK(pfd >= 0);
	CHECK_EQ(poll1(pfd, 0), 0);
	int got = pidfd_getfd(pfd, child_rfd, 0);
	CHECK(got >= 0);
	CHECK_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
	char buf[4] = {0};
	CHECK_EQ(read(got, buf, 2), 2);
	CHECK(strcmp(buf, "hi") == 0);
	CHECK_ERRNO(pidfd_getfd(pfd, 999, 0), EBADF);
	CHECK_ERRNO(pidfd_getfd(pfd, child_rfd, 1), EINVAL);
	PASS("pidfd_getfd");

	CHECK_EQ(pidfd_send_signal(pfd, SIGTERM, NULL, 0), 0);
	CHECK_EQ(poll1(pfd, 10000) & POLLIN, POLLIN);
	siginfo_t si = {0};
	CHECK(waitid(P_PIDFD, pfd, &si, WEXITED) == 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGTERM);
	CHECK_EQ(poll1(pfd, 0), POLLIN | POLLHUP);
	CHECK_ERRNO(pidfd_send_signal(pfd, SIGTERM, NULL, 0), ESRCH);
	CHECK_ERRNO(waitid(P_PIDFD, self, &si, WEXITED | WNOHANG), ECHILD);
	PASS("pidfd_send_signal, poll and waitid(P_PIDFD)");

	/* CLONE_PIDFD through clone3. */
	int cfd = -1;
	struct clone_args args = {.flags = CLONE_PIDFD, .pidfd = (unsigned long)&cfd, .exit_signal = SIGCHLD};
	long r = syscall(SYS_clone3, &args, sizeof args);
	CHECK(r >= 0);
	if (r == 0)
		_exit(3);
	CHECK(cfd >= 0);
	CHECK_EQ(fcntl(cfd, F_GETFD), FD_CLOEXEC);
	CHECK(waitid(P_PIDFD, cfd, &si, WEXITED) == 0);
	CHECK_EQ(si.si_pid, r);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 3);
	CHECK_ERRNO(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0), EINVAL);
	struct clone_args bad = {.flags = CLONE_PIDFD | CLONE_DETACHED, .pidfd = (unsigned long)&cfd, .exit_signal = SIGCHLD};
	CHECK_ERRNO(syscall(SYS_clone3, &bad, sizeof bad), EINVAL);
	PASS("CLONE_PIDFD");
	return 0;
}
