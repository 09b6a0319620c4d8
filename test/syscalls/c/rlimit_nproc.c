/* rlimit_nproc: fork and pthread_create fail with EAGAIN once the real
 * user runs as many tasks (threads and unreaped children included) as
 * RLIMIT_NPROC; root is exempt. A user no host process runs as keeps the
 * count the same natively and sandboxed. */
#include "test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define UID 54321

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void limited(void)
{
	struct rlimit r = {3, 3};
	CHECK(setrlimit(RLIMIT_NPROC, &r) == 0);
	CHECK(setresuid(UID, UID, UID) == 0);
	/* This process is 1 of 3: two more tasks, then EAGAIN. */
	pid_t a = fork();
	CHECK(a >= 0);
	if (a == 0)
		_exit(0); /* stays a zombie: still counted */
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, idle, NULL), 0);
	CHECK_ERRNO(fork(), EAGAIN);
	CHECK_EQ(pthread_create(&th, NULL, idle, NULL), EAGAIN);
	/* Reaping the zombie frees a slot. */
	CHECK_EQ(waitpid(a, NULL, 0), a);
	pid_t b = fork();
	CHECK(b >= 0);
	if (b == 0)
		_exit(0);
	CHECK_EQ(waitpid(b, NULL, 0), b);
}

static void root_exempt(void)
{
	struct rlimit r = {1, 1};
	CHECK(setrlimit(RLIMIT_NPROC, &r) == 0);
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0)
		_exit(0);
	CHECK_EQ(waitpid(p, NULL, 0), p);
}

int main(void)
{
	int fails = run_group("RLIMIT_NPROC", limited, 30);
	fails += run_group("root is exempt", root_exempt, 30);
	return fails != 0;
}
