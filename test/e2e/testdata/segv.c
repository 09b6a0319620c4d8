/* segv: dies of SIGSEGV. Under runsc, runsc must exit 139 (128+11), as a
 * shell reports a child killed by SIGSEGV. */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);
	printf("about to crash\n");
	fflush(stdout);
	volatile int *volatile p = (volatile int *)8;
	*p = 1;
	return 0;
}
