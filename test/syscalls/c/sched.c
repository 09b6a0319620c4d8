/* sched: the scheduling calls answer as Linux does. Affinity is kept
 * and reported (sched_getaffinity, getcpu); policies and priorities are
 * checked, kept and inherited (SCHED_RESET_ON_FORK); missing PIDs answer
 * ESRCH.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>

#include "test.h"

static const pid_t missing = 4194000;

static void test_affinity(void)
{
	cpu_set_t all, one, got;
	CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
	CHECK(CPU_ISSET(0, &all));
	CHECK(syscall(SYS_sched_getaffinity, 0, 4, &got) == -1 && errno == EINVAL);
	CHECK(syscall(SYS_sched_getaffinity, 0, 0, &got) == -1 && errno == EINVAL);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof got, &got);
	CHECK(n > 0 && n % 8 == 0 && n <= (long)sizeof got);
	CHECK_ERRNO(sched_getaffinity(missing, sizeof got, &got), ESRCH);

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
	CHECK(sched_getaffinity(0, sizeof got, &got) == 0);
	CHECK(CPU_EQUAL(&got, &one));
	unsigned cpu = 99, node = 99;
	CHECK(syscall(SYS_getcpu, &cpu, &node, NULL) == 0);
	CHECK_EQ(cpu, 0);
	CHECK_EQ(node, 0);
	CHECK_EQ(sched_getcpu(), 0);

	/* Pinned to the highest CPU allowed: getcpu, and glibc's
	 * sched_getcpu (rseq or the vDSO), say that one. */
	int last = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			last = c;
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
	CHECK(syscall(SYS_getcpu, &cpu, &node, NULL) == 0);
	CHECK_EQ(cpu, last);
	CHECK_EQ(sched_getcpu(), last);

	cpu_set_t none;
	CPU_ZERO(&none);
	CHECK_ERRNO(sched_setaffinity(0, sizeof none, &none), EINVAL);
	CPU_SET(1023, &none); /* no such CPU here */
	CHECK_ERRNO(sched_setaffinity(0, sizeof none, &none), EINVAL);
	CHECK_ERRNO(sched_setaffinity(missing, sizeof one, &one), ESRCH);

	/* A child inherits the affinity. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(sched_getaffinity(0, sizeof got, &got) == 0);
		_exit(CPU_EQUAL(&got, &one) ? 0 : 1);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(sched_setaffinity(0, sizeof all, &all) == 0);
	PASS("affinity");
}

static void test_policies(void)
{
	struct sched_param p = {0};
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK(sched_getparam(0, &p) == 0);
	CHECK_EQ(p.sched_priority, 0);
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_BATCH), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_IDLE), 0);
	CHECK_ERRNO(sched_get_priority_max(-1), EINVAL);
	CHECK_ERRNO(sched_get_priority_min(4), EINVAL);

	p.sched_priority = 5;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_OTHER, &p), EINVAL);
	CHECK_ERRNO(sched_setscheduler(0, 4, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, NULL), EINVAL);
	CHECK_ERRNO(sched_setscheduler(-1, SCHED_OTHER, &p), EINVAL);
	CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
	CHECK_ERRNO(sched_getscheduler(missing), ESRCH);
	p.sched_priority = 100;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &p), EINVAL);

	/* Root may choose a real-time policy; SCHED_RESET_ON_FORK gives the
	 * child SCHED_OTHER back. */
	p.sched_priority = 10;
	CHECK(sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p) == 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_RR | SCHED_RESET_ON_FORK);
	CHECK(sched_getparam(0, &p) == 0);
	CHECK_EQ(p.sched_priority, 10);
	struct timespec ts;
	CHECK(sched_rr_get_interval(0, &ts) == 0);
	printf("RR slice %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(sched_getscheduler(0));
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), SCHED_OTHER);
	p.sched_priority = 20;
	CHECK(sched_setparam(0, &p) == 0);
	CHECK(sched_getparam(0, &p) == 0);
	CHECK_EQ(p.sched_priority, 20);
	p.sched_priority = 0;
	CHECK(sched_setscheduler(0, SCHED_OTHER, &p) == 0);
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK_ERRNO(sched_setparam(0, &(struct sched_param){.sched_priority = 3}), EINVAL);
	CHECK(sched_rr_get_interval(missing, &ts) == -1 && errno == ESRCH);
	PASS("policies and priorities");
}

/* Each thread has its own affinity, and getcpu tells each its own CPU. */
static int pinned_cpu(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(sched_getcpu(), cpu);
	return cpu;
}

static void *pin_thread(void *arg)
{
	return (void *)(long)pinned_cpu((int)(long)arg);
}

static void test_thread_affinity(void)
{
	cpu_set_t all;
	CHECK(sched_getaffinity(0, sizeof all, &all) == 0);
	int last = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			last = c;
	pthread_t th;
	CHECK(pthread_create(&th, NULL, pin_thread, (void *)(long)last) == 0);
	pinned_cpu(0);
	void *got;
	CHECK(pthread_join(th, &got) == 0);
	CHECK_EQ((long)got, last);
	CHECK_EQ(sched_getcpu(), 0);
	CHECK(sched_setaffinity(0, sizeof all, &all) == 0);
	PASS("per-thread affinity and getcpu");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_affinity();
	test_policies();
	test_thread_affinity();
	return 0;
}
