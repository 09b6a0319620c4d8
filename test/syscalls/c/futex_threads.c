/* futex_threads: what pthreads build on futexes: join (CLONE_CHILD_CLEARTID
 * wakes the joiner), condition variables, a PI mutex handed between
 * threads, and a robust mutex whose owner thread dies (EOWNERDEAD, then
 * pthread_mutex_consistent). Needs CLONE_THREAD. */
#include "../c/test.h"

#include <pthread.h>
#include <stdint.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void *pingpong(void *arg)
{
	intptr_t me = (intptr_t)arg;
	for (int i = 0; i < 1000; i++) {
		CHECK_EQ(pthread_mutex_lock(&mu), 0);
		while (turn % 2 != me)
			CHECK_EQ(pthread_cond_wait(&cv, &mu), 0);
		turn++;
		CHECK_EQ(pthread_cond_broadcast(&cv), 0);
		CHECK_EQ(pthread_mutex_unlock(&mu), 0);
	}
	return (void *)(me + 40);
}

static void condvars(void)
{
	pthread_t a, b;
	CHECK_EQ(pthread_create(&a, NULL, pingpong, (void *)0), 0);
	CHECK_EQ(pthread_create(&b, NULL, pingpong, (void *)1), 0);
	void *ra, *rb;
	CHECK_EQ(pthread_join(a, &ra), 0);
	CHECK_EQ(pthread_join(b, &rb), 0);
	CHECK_EQ((intptr_t)ra, 40);
	CHECK_EQ((intptr_t)rb, 41);
	CHECK_EQ(turn, 2000);
}

static pthread_mutex_t pi;
static long counter;

static void *pi_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ(pthread_mutex_lock(&pi), 0);
		counter++;
		CHECK_EQ(pthread_mutex_unlock(&pi), 0);
	}
	return NULL;
}

static void pi_mutex(void)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	CHECK_EQ(pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT), 0);
	CHECK_EQ(pthread_mutex_init(&pi, &at), 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, pi_worker, NULL), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(counter, 8000);
}

static pthread_mutex_t robust_mu;

static void *die_holding(void *arg)
{
	(void)arg;
	CHECK_EQ(pthread_mutex_lock(&robust_mu), 0);
	return NULL; /* exits with the lock held */
}

static void robust(int pi_protocol)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	CHECK_EQ(pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST), 0);
	if (pi_protocol)
		CHECK_EQ(pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT), 0);
	CHECK_EQ(pthread_mutex_init(&robust_mu, &at), 0);
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, die_holding, NULL), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(pthread_mutex_lock(&robust_mu), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&robust_mu), 0);
	CHECK_EQ(pthread_mutex_unlock(&robust_mu), 0);
	CHECK_EQ(pthread_mutex_lock(&robust_mu), 0);
	CHECK_EQ(pthread_mutex_unlock(&robust_mu), 0);
}

static void robust_plain(void) { robust(0); }
static void robust_pi(void) { robust(1); }

int main(void)
{
	int failed = 0;
	failed |= run_group("futex-threads-condvar", condvars, 20);
	failed |= run_group("futex-threads-pi-mutex", pi_mutex, 20);
	failed |= run_group("futex-threads-robust", robust_plain, 20);
	failed |= run_group("futex-threads-robust-pi", robust_pi, 20);
	return failed;
}
