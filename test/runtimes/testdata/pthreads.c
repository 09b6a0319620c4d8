/* pthreads: 64 threads share a mutex-guarded counter, pass items through a
 * bounded queue guarded by a mutex and two condition variables, and meet a
 * robust mutex whose owner exits holding it: the next locker gets
 * EOWNERDEAD, marks it consistent and goes on. Prints only totals. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 64
#define ITERS 2000
#define QCAP 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static int qhead, qlen;

static pthread_mutex_t robust;

static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err));
	exit(1);
}

static void put(long v)
{
	pthread_mutex_lock(&qmu);
	while (qlen == QCAP)
		pthread_cond_wait(&notfull, &qmu);
	queue[(qhead + qlen) % QCAP] = v;
	qlen++;
	pthread_cond_signal(&notempty);
	pthread_mutex_unlock(&qmu);
}

static long get(void)
{
	pthread_mutex_lock(&qmu);
	while (qlen == 0)
		pthread_cond_wait(&notempty, &qmu);
	long v = queue[qhead];
	qhead = (qhead + 1) % QCAP;
	qlen--;
	pthread_cond_signal(&notfull);
	pthread_mutex_unlock(&qmu);
	return v;
}

/* Even threads produce ITERS values, odd threads consume as many; all of
 * them bump the shared counter. */
static void *worker(void *arg)
{
	long id = (long)arg;
	long sum = 0;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		if (id % 2 == 0)
			put(id * ITERS + i);
		else
			sum += get();
	}
	return (void *)sum;
}

static void *die_holding(void *arg)
{
	(void)arg;
	int err = pthread_mutex_lock(&robust);
	if (err != 0)
		die("robust lock in owner", err);
	return NULL; /* exits holding it */
}

int main(void)
{
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&th[i], NULL, worker, (void *)i);
		if (err != 0)
			die("pthread_create", err);
	}
	long consumed = 0;
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		consumed += (long)ret;
	}
	long want = 0;
	for (long id = 0; id < NTHREADS; id += 2)
		for (int i = 0; i < ITERS; i++)
			want += id * ITERS + i;
	printf("threads %d counter %ld\n", NTHREADS, counter);
	printf("queue sum %ld (produced %ld) left %d\n", consumed, want, qlen);

	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &attr);
	pthread_t owner;
	pthread_create(&owner, NULL, die_holding, NULL);
	pthread_join(owner, NULL);
	int err = pthread_mutex_lock(&robust);
	printf("robust lock after owner died: %s\n", err == EOWNERDEAD ? "EOWNERDEAD" : strerror(err));
	if (err == EOWNERDEAD) {
		err = pthread_mutex_consistent(&robust);
		printf("consistent: %s\n", err == 0 ? "ok" : strerror(err));
	}
	pthread_mutex_unlock(&robust);
	err = pthread_mutex_lock(&robust);
	printf("relock: %s\n", err == 0 ? "ok" : strerror(err));
	pthread_mutex_unlock(&robust);
	return counter == (long)NTHREADS * ITERS && consumed == want ? 0 : 1;
}
