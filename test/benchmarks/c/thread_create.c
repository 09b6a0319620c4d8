/* thread_create: nanoseconds per pthread_create + pthread_join of a thread
 * that returns at once (clone with CLONE_THREAD, the child's first run,
 * its exit and the CLEARTID futex wake that ends the join). */
#include "bench.h"

#include <pthread.h>

static void *nothing(void *arg) { return arg; }

static void create_join(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, nothing, NULL) != 0)
		DIE("pthread_create");
	if (pthread_join(t, NULL) != 0)
		DIE("pthread_join");
}

int main(int argc, char **argv)
{
	long n = iterations(argc, argv, 2000);
	MEASURE(n, create_join());
	return 0;
}
