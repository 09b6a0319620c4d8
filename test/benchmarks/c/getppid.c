/* getppid: nanoseconds per raw getppid system call. */
#include "bench.h"

#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = iterations(argc, argv, 1000000);
	MEASURE(n, syscall(SYS_getppid));
	return 0;
}
