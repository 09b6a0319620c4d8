/* evpingpong.h: two threads handing a token back and forth through two
 * eventfds (each side blocks until its own is written, then writes the
 * other's). The including file says how a side waits (a blocking read, or
 * epoll_wait first). */
#ifndef COCOON_EVPINGPONG_H
#define COCOON_EVPINGPONG_H

#include "bench.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* efd[0] wakes the ponger, efd[1] the pinger. */
static int efd[2];
static long total_rounds;

/* side_init prepares a side's waiting on fd (its own eventfd); await_fd
 * waits until fd is readable. */
static void side_init(int side, int fd);
static void await_fd(int side, int fd);

static void take(int side)
{
	uint64_t v;
	await_fd(side, efd[side]);
	if (read(efd[side], &v, sizeof v) != sizeof v)
		DIE("read eventfd");
}

static void give(int side)
{
	uint64_t one = 1;
	if (write(efd[1 - side], &one, sizeof one) != sizeof one)
		DIE("write eventfd");
}

static void *ponger(void *arg)
{
	(void)arg;
	side_init(0, efd[0]);
	for (long i = 0; i < total_rounds; i++) {
		take(0);
		give(0);
	}
	return NULL;
}

static void ping(void)
{
	give(1);
	take(1);
}

static int evpingpong_main(int argc, char **argv, long def)
{
	long n = iterations(argc, argv, def);
	total_rounds = (n / ROUNDS) * (ROUNDS + 1);
	for (int i = 0; i < 2; i++)
		if ((efd[i] = eventfd(0, EFD_CLOEXEC)) < 0)
			DIE("eventfd");
	side_init(1, efd[1]);
	pthread_t t;
	if (pthread_create(&t, NULL, ponger, NULL) != 0)
		DIE("pthread_create");
	MEASURE(n, ping());
	pthread_join(t, NULL);
	return 0;
}

#endif
