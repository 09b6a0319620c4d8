/* pingpong.h: two threads handing a token back and forth through one
 * word, on different CPUs where there are two. The waiting strategy
 * (futex or spin) is the including file's. */
#ifndef COCOON_PINGPONG_H
#define COCOON_PINGPONG_H

#include "bench.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

/* The token: 1 = ping (the other thread's turn), 0 = pong. Alone on its
 * cache line. */
static int word __attribute__((aligned(64)));
static long total_rounds;

static void wait_while(int val);
static void wake(void);

static void pin(int cpu)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *ponger(void *arg)
{
	(void)arg;
	pin(1);
	for (long i = 0; i < total_rounds; i++) {
		wait_while(0);
		__atomic_store_n(&word, 0, __ATOMIC_RELEASE);
		wake();
	}
	return NULL;
}

static void ping(void)
{
	__atomic_store_n(&word, 1, __ATOMIC_RELEASE);
	wake();
	wait_while(1);
}

static int pingpong_main(int argc, char **argv, long def)
{
	long n = iterations(argc, argv, def);
	/* the warm-up round plus ROUNDS timed rounds */
	total_rounds = (n / ROUNDS) * (ROUNDS + 1);
	pthread_t t;
	if (pthread_create(&t, NULL, ponger, NULL) != 0)
		DIE("pthread_create");
	pin(0);
	MEASURE(n, ping());
	pthread_join(t, NULL);
	return 0;
}

#endif
