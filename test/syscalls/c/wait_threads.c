/* wait_threads: threads of one process each fork a child and wait4 for
 * exactly that child, many times over: every waiter wakes for its own
 * child whichever child exits first (a wake-up taken by the wrong waiter
 * would leave the other asleep for good), and gets its exit status. */
#include "test.h"

#include <pthread.h>

#define NTHREADS 4
#define ROUNDS 300

static void *forker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int code = (int)(id * 10 + i % 10);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(code);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), code);
	}
	return NULL;
}

static void threads_wait_own_children(void)
{
	pthread_t th[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, forker, (void *)i) == 0);
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
}

int main(void)
{
	return run_group("threads wait for their own children", threads_wait_own_children, 30);
}
