/* threads: thread groups as Linux has them. pthreads with mutexes and
 * condition variables; gettid versus getpid; /proc/self/task and
 * /proc/thread-self; exit(2) of one thread versus exit_group; the leader
 * exiting first; process-directed signals taken by a thread that does not
 * block them; tgkill to one thread; a fatal signal ending every thread;
 * fork and wait across threads; execve from a thread that is not the
 * leader.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "test.h"

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

/* count_tasks returns the number of entries of /proc/self/task. */
static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	CHECK(d != NULL);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* await_tasks waits (up to 5 s) until /proc/self/task has n entries and
 * returns how many it has then. A joined thread leaves /proc/self/task
 * just after its CLEARTID wake, so on Linux pthread_join may return a
 * moment before that. */
static int await_tasks(int n)
{
	int got = count_tasks();
	for (int i = 0; got != n && i < 5000; i++) {
		usleep(1000);
		got = count_tasks();
	}
	return got;
}

/* thread_gone waits (up to 5 s) until tid names no thread of the process,
 * for the same reason, and says whether it came to pass. */
static int thread_gone(pid_t tid)
{
	for (int i = 0; i < 5000; i++) {
		if (syscall(SYS_tgkill, getpid(), tid, 0) == -1 && errno == ESRCH)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* 64 threads add to a counter under a mutex and wait at a condition
 * variable until all have started. */
enum { NTHREADS = 64, ROUNDS = 1000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started;
static long counter;

static void *worker(void *arg)
{
	pthread_mutex_lock(&mu);
	started++;
	pthread_cond_broadcast(&cv);
	while (started < NTHREADS)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	CHECK(getpid() == *(pid_t *)arg);
	return (void *)(long)gettid_();
}

static void test_many_threads(void)
{
	pthread_t th[NTHREADS];
	pid_t pid = getpid();
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_create(&th[i], NULL, worker, &pid) == 0);
	pid_t seen[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		void *rv;
		CHECK(pthread_join(th[i], &rv) == 0);
		seen[i] = (pid_t)(long)rv;
		CHECK(seen[i] != pid && seen[i] > 0);
		for (int j = 0; j < i; j++)
			CHECK(seen[j] != seen[i]);
	}
	CHECK_EQ(counter, (long)NTHREADS * ROUNDS);
	CHECK_EQ(await_tasks(1), 1);
	PASS("64 threads, mutex and condition variable");
}

/* /proc/self/task lists the threads; /proc/thread-self is the caller's. */
static atomic_int proc_go;
static void *proc_thread(void *arg)
{
	char want[64], got[64];
	snprintf(want, sizeof want, "%d/task/%d", getpid(), gettid_());
	ssize_t n = readlink("/proc/thread-self", got, sizeof got - 1);
	CHECK(n > 0);
	got[n] = 0;
	CHECK(strcmp(want, got) == 0);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", gettid_());
	CHECK(access(path, R_OK) == 0);
	while (!atomic_load(&proc_go))
		sched_yield();
	return NULL;
}

static void test_proc_task(void)
{
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&th[i], NULL, proc_thread, NULL) == 0);
	CHECK_EQ(count_tasks(), 4);
	/* /proc lists processes, not threads. */
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d", getpid());
	CHECK(access(path, F_OK) == 0);
	atomic_store(&proc_go, 1);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	CHECK_EQ(await_tasks(1), 1);
	PASS("/proc/self/task and /proc/thread-self");
}

/* In a child: the main thread leaves with pthread_exit (exit(2)), the
 * other thread ends the process later with its own exit(2): the process
 * reports the last thread's status, 9. */
static void *late_exit(void *arg)
{
	usleep(20000);
	CHECK_EQ(count_tasks(), 2); /* the zombie leader is still listed */
	syscall(SYS_exit, 9);
	return NULL;
}

static void test_leader_exits_first(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t th;
		CHECK(pthread_create(&th, NULL, late_exit, NULL) == 0);
		pthread_exit(NULL);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 9);
	PASS("leader exits first, the process lives on");
}

/* exit_group from a thread ends the process, main thread included. */
static void *group_exit(void *arg)
{
	_exit(42);
}

static void test_exit_group_from_thread(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t th;
		CHECK(pthread_create(&th, NULL, group_exit, NULL) == 0);
		for (;;)
			pause();
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 42);
	PASS("exit_group from a thread");
}

/* A process-directed signal is taken by the thread that does not block
 * it; tgkill reaches only the thread named. */
static atomic_int handled_by;
static void on_usr(int sig) { atomic_store(&handled_by, gettid_()); }

static atomic_int unblocked_ready;
static void *unblocked(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0);
	*(pid_t *)arg = gettid_();
	atomic_store(&unblocked_ready, 1);
	while (atomic_load(&handled_by) == 0)
		pause();
	return NULL;
}

static void *target(void *arg)
{
	*(pid_t *)arg = gettid_();
	while (atomic_load(&handled_by) == 0)
		pause();
	return NULL;
}

static void test_signal_routing(void)
{
	struct sigaction sa = {.sa_handler = on_usr};
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	CHECK(pthread_sigmask(SIG_BLOCK, &s, NULL) == 0);

	pthread_t th;
	pid_t tid = 0;
	CHECK(pthread_create(&th, NULL, unblocked, &tid) == 0);
	while (!atomic_load(&unblocked_ready))
		sched_yield();
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK_EQ(atomic_load(&handled_by), tid);

	atomic_store(&handled_by, 0);
	tid = 0;
	CHECK(pthread_create(&th, NULL, target, &tid) == 0);
	while (__atomic_load_n(&tid, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	CHECK(syscall(SYS_tgkill, getpid(), tid, SIGUSR2) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK_EQ(atomic_load(&handled_by), tid);
	/* The thread is gone: its TID no longer names a thread. */
	CHECK(thread_gone(tid));
	CHECK(pthread_sigmask(SIG_UNBLOCK, &s, NULL) == 0);
	PASS("process signal to an unblocked thread, tgkill to one");
}

/* A fatal signal ends every thread. */
static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

static void test_fatal_signal(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t th;
		for (int i = 0; i < 4; i++)
			CHECK(pthread_create(&th, NULL, sleeper, NULL) == 0);
		raise(SIGTERM);
		for (;;)
			pause();
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);
	PASS("fatal signal ends every thread");
}

/* A child forked by one thread can be waited for by another; the child
 * has a single thread. */
static pid_t forked;
static void *forker(void *arg)
{
	forked = fork();
	CHECK(forked >= 0);
	if (forked == 0)
		_exit(count_tasks());
	return NULL;
}

static void test_fork_from_thread(void)
{
	pthread_t th;
	CHECK(pthread_create(&th, NULL, forker, NULL) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	int st;
	CHECK_EQ(waitpid(forked, &st, 0), forked);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 1);
	PASS("fork from a thread, wait from another");
}

/* execve from a thread that is not the leader: the other threads end and
 * the new image runs with the process's PID. */
static char self_path[4096];
static void *execer(void *arg)
{
	char pid[32];
	snprintf(pid, sizeof pid, "%d", getpid());
	execl(self_path, self_path, "exec-child", pid, (char *)NULL);
	CHECK(!"execl failed");
	return NULL;
}

static int exec_child(const char *want_pid)
{
	CHECK_EQ(getpid(), atoi(want_pid));
	CHECK_EQ(gettid_(), getpid());
	CHECK_EQ(count_tasks(), 1);
	return 0;
}

static void test_exec_from_thread(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t th;
		for (int i = 0; i < 3; i++)
			CHECK(pthread_create(&th, NULL, sleeper, NULL) == 0);
		CHECK(pthread_create(&th, NULL, execer, NULL) == 0);
		for (;;)
			pause();
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	PASS("execve from a thread that is not the leader");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "exec-child") == 0)
		return exec_child(argv[2]);
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
	CHECK(n > 0);
	self_path[n] = 0;
	setvbuf(stdout, NULL, _IONBF, 0);

	test_many_threads();
	test_proc_task();
	test_leader_exits_first();
	test_exit_group_from_thread();
	test_signal_routing();
	test_fatal_signal();
	test_fork_from_thread();
	test_exec_from_thread();
	return 0;
}
