/* clock_gettime: nanoseconds per clock_gettime(CLOCK_MONOTONIC) through
 * libc, which uses the vDSO: no system call where the vDSO serves it. */
#include "bench.h"

#include <time.h>

int main(int argc, char **argv)
{
	long n = iterations(argc, argv, 10000000);
	struct timespec ts;
	MEASURE(n, clock_gettime(CLOCK_MONOTONIC, &ts));
	return 0;
}
