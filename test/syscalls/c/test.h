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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* CHECK_ERRNO checks that a call failed with -1 and the given errno. */
#define CHECK_ERRNO(call, err)                                              \
	do {                                                                \
		errno = 0;                                                  \
		long r_ = (long)(call);                                     \
		if (r_ != -1 || errno != (err)) {                           \
			int e_ = errno;                                     \
			fprintf(stderr, "%s:%d: %s = %ld errno=%d (%s), want -1 errno=%d (%s)\n", \
				__FILE__, __LINE__, #call, r_, e_, strerror(e_), \
				(err), strerror(err));                      \
			fflush(stdout);                                     \
			_exit(1);                                           \
		}                                                           \
	} while (0)

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

#endif
