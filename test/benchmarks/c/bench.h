/* bench.h: timing helpers shared by the benchmark programs. Each program
 * takes an iteration count, runs ROUNDS timed rounds after a warm-up, and
 * prints the median nanoseconds per operation as one number on stdout. */
#ifndef COCOON_BENCH_H
#define COCOON_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5

#define DIE(what)                                                            \
	do {                                                                 \
		fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, (what), \
			strerror(errno));                                    \
		exit(1);                                                     \
	} while (0)

static inline long long now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		DIE("clock_gettime");
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long iterations(int argc, char **argv, long def)
{
	long n = argc > 1 ? atol(argv[1]) : def;
	if (n < ROUNDS)
		n = ROUNDS;
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* report prints the median of the per-round results. */
static inline void report(double per_op[ROUNDS])
{
	qsort(per_op, ROUNDS, sizeof(double), cmp_double);
	printf("%.1f\n", per_op[ROUNDS / 2]);
}

/* MEASURE runs body (which must do n/ROUNDS operations using the loop
 * variable i) ROUNDS times after one warm-up round and reports. */
#define MEASURE(n, body)                                                     \
	do {                                                                 \
		long per_ = (n) / ROUNDS;                                    \
		double res_[ROUNDS];                                         \
		for (int r_ = -1; r_ < ROUNDS; r_++) {                       \
			long long t0_ = now_ns();                            \
			for (long i = 0; i < per_; i++) {                    \
				body;                                        \
			}                                                    \
			long long t1_ = now_ns();                            \
			if (r_ >= 0)                                         \
				res_[r_] = (double)(t1_ - t0_) / per_;       \
		}                                                            \
		report(res_);                                                \
	} while (0)

#endif
