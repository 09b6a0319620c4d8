/* clock: CLOCK_MONOTONIC never goes back and advances across a sleep;
 * CLOCK_REALTIME is a plausible date; nanosleep sleeps at least as long
 * as asked. */
#include "test.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	struct timespec a, b;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	for (int i = 0; i < 10000; i++) {
		CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
		CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
		CHECK(ns(b) >= ns(a));
		a = b;
	}
	/* the raw system call, not the vDSO */
	CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0);
	CHECK(ns(b) >= ns(a));
	PASS("monotonic");

	struct timespec req = {0, 20 * 1000000L};
	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
	CHECK(nanosleep(&req, NULL) == 0);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	CHECK(ns(b) - ns(a) >= 20 * 1000000LL);
	CHECK(ns(b) - ns(a) < 5 * 1000000000LL);
	PASS("nanosleep");

	CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0);
	CHECK(a.tv_sec > 1577836800); /* 2020-01-01 */
	struct timeval tv;
	CHECK(gettimeofday(&tv, NULL) == 0);
	CHECK(tv.tv_sec >= a.tv_sec && tv.tv_sec - a.tv_sec < 10);
	/* time() reads the coarse clock, which may lag a tick behind */
	time_t t = time(NULL);
	CHECK(t + 1 >= a.tv_sec && t - a.tv_sec < 10);
	PASS("realtime");

	CHECK_ERRNO(clock_gettime(12345, &a), EINVAL);
	struct timespec bad = {0, 1000000000L};
	CHECK_ERRNO(nanosleep(&bad, NULL), EINVAL);
	PASS("einval");
	return 0;
}
