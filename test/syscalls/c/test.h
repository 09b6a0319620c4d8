/*
 * test.h: the assertion helpers shared by Cocoon's syscall tests.
 *
 * Every test is a program that passes on Linux natively and under runsc
 * alike: it exits 0 on success, and prints only deterministic output to
 * stdout (never PIDs, addresses or times), because the harness compares
 * the native and the sandboxed stdout. Diagnostics go to stderr.
 */
#ifndef COCOON_TEST_H
#define COCOON_TEST_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* CHECK fails the test, naming the file, line, condition and errno, unless
 * cond holds. It is async-signal-safe enough for handlers (it exits with
 * _exit after an unbuffered write to stderr). */
#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			int e_ = errno;                                     \
			fprintf(stderr, "%s:%d: CHECK(%s) failed, errno=%d (%s)\n", \
				__FILE__, __LINE__, #cond, e_, strerror(e_)); \
			fflush(stdout);                                     \
			_exit(1);                                           \
		}                                                           \
	} while (0)

/* EXPECT_ERRNO checks that a call failed with -1 and the given errno; if
 * not, it reports and runs on_fail. */
#define EXPECT_ERRNO(call, err, on_fail)                                    \
	do {                                                                \
		errno = 0;                                                  \
		long r_ = (long)(call);                                     \
		if (r_ != -1 || errno != (err)) {                           \
			int e_ = errno;                                     \
			fprintf(stderr, "%s:%d: %s = %ld errno=%d (%s), want -1 errno=%d (%s)\n", \
				__FILE__, __LINE__, #call, r_, e_, strerror(e_), \
				(err), strerror(err));                      \
			on_fail;                                            \
		}                                                           \
	} while (0)

/* CHECK_ERRNO checks that a call failed with -1 and the given errno, and
 * ends the test if not. */
#define CHECK_ERRNO(call, err) EXPECT_ERRNO(call, err, fflush(stdout); _exit(1))

/* CHECK_EQ compares two integers and prints both on failure. */
#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		if (a_ != b_) {                                             \
			int e_ = errno;                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld, errno=%d (%s)\n", \
				__FILE__, __LINE__, #a, #b, a_, b_, e_, strerror(e_)); \
			fflush(stdout);                                     \
			_exit(1);                                           \
		}                                                           \
	} while (0)

/* PASS prints one deterministic line naming a passed check. */
#define PASS(name) printf("ok %s\n", (name))

/* Write all of buf to fd or fail. */
static inline void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		CHECK(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

/* Read exactly n bytes from fd or fail. */
static inline void read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

/* run_group runs fn in a child process and prints "ok name" if it returns
 * (or exits 0), else "FAIL name", so that one wrong answer does not hide
 * the checks of the other groups. A sandboxed test is PID 1, which default
 * signal actions cannot kill; its children are ordinary. A child still
 * running after timeout_s seconds is killed and fails. Returns 1 on
 * failure, 0 on success. */
static inline int run_group(const char *name, void (*fn)(void), int timeout_s)
{
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int status = 0;
	pid_t r;
	for (int waited_ms = 0; (r = waitpid(pid, &status, WNOHANG)) == 0; waited_ms += 5) {
		if (waited_ms >= timeout_s * 1000) {
			fprintf(stderr, "%s: still running after %d s, killing it\n", name, timeout_s);
			kill(pid, SIGKILL);
			CHECK_EQ(waitpid(pid, &status, 0), pid);
			r = -1;
			break;
		}
		usleep(5000);
	}
	if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		PASS(name);
		return 0;
	}
	if (WIFSIGNALED(status))
		fprintf(stderr, "%s: killed by signal %d\n", name, WTERMSIG(status));
	printf("FAIL %s\n", name);
	return 1;
}

/* rm_tree removes dir and everything below it, without following
 * symlinks; 0 on success. */
static int rm_tree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int rm_tree(const char *dir)
{
	return nftw(dir, rm_tree_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
