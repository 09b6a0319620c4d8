/* hostile_threads: 200 threads that, until a deadline (argv[1] seconds,
 * default 30), each at random fork a child that _exits with a random code
 * or execs /bin/true, exec a helper child (this program, "helper MS") and
 * signal it or not, tgkill each other with a handled SIGUSR1, and exit,
 * leaving a new thread in their place. Every child is reaped by the thread
 * that made it and its status checked. Prints "hostile_threads: ok" and
 * exits 0 if every check held; the counts (timing-dependent) go to stderr.
 *
 * Fork children run only async-signal-safe code (_exit, execv). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 200

static const char *self;
static struct timespec deadline;
static atomic_int stop;
static atomic_int live;      /* worker threads not yet exited */
static atomic_int tids[NTHREADS];
static atomic_long failures, forks, execs, tgkills, recreated, handled, killed;

#define FAIL(...)                                            \
	do {                                                 \
		fprintf(stderr, "hostile_threads: " __VA_ARGS__); \
		atomic_fetch_add(&failures, 1);              \
	} while (0)

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static int past_deadline(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* reap waits for pid (retrying on EINTR from SIGUSR1) and returns its
 * status, or -1 after reporting a failure. */
static int reap(pid_t pid)
{
	int status;
	pid_t r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r != pid) {
		FAIL("waitpid(%d) = %d: %s\n", pid, r, strerror(errno));
		return -1;
	}
	return status;
}

/* do_fork forks a child that _exits with code, or execs /bin/true if code
 * is 0, and checks its exit status. */
static void do_fork(int code)
{
	pid_t pid = fork();
	if (pid < 0) {
		FAIL("fork: %s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		if (code == 0) {
			char *argv[] = {"/bin/true", NULL};
			execv(argv[0], argv);
			_exit(127);
		}
		_exit(code);
	}
	int st = reap(pid);
	if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == code))
		FAIL("fork child: status %#x, want exit %d\n", st, code);
	atomic_fetch_add(&forks, 1);
}

/* do_exec runs the helper for ms milliseconds and sends it sig (0: none)
 * after a short while: it must exit 3 or die of sig. */
static void do_exec(int ms, int sig)
{
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", ms);
	pid_t pid = fork();
	if (pid < 0) {
		FAIL("fork for exec: %s\n", strerror(errno));
		return;
	}
	if (pid == 0) {
		char *argv[] = {(char *)self, "helper", arg, NULL};
		execv(self, argv);
		_exit(127);
	}
	if (sig != 0) {
		sleep_ms(ms / 2);
		if (kill(pid, sig) != 0)
			FAIL("kill(%d, %d): %s\n", pid, sig, strerror(errno));
	}
	int st = reap(pid);
	if (st < 0)
		return;
	if (WIFSIGNALED(st) && sig != 0 && WTERMSIG(st) == sig)
		atomic_fetch_add(&killed, 1);
	else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 3))
		FAIL("helper: status %#x, want exit 3 or signal %d\n", st, sig);
	atomic_fetch_add(&execs, 1);
}

/* do_tgkill sends SIGUSR1 to a random other worker. It may have exited
 * since its TID was read (ESRCH); nothing else may fail. */
static void do_tgkill(unsigned *seed)
{
	int tid = atomic_load(&tids[rand_r(seed) % NTHREADS]);
	if (tid == 0)
		return;
	if (syscall(SYS_tgkill, getpid(), tid, SIGUSR1) != 0 && errno != ESRCH)
		FAIL("tgkill(%d): %s\n", tid, strerror(errno));
	atomic_fetch_add(&tgkills, 1);
}

static void *worker(void *arg);

static void start_worker(long slot)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	atomic_fetch_add(&live, 1);
	pthread_t th;
	int err = pthread_create(&th, &attr, worker, (void *)slot);
	if (err != 0) {
		atomic_fetch_sub(&live, 1);
		FAIL("pthread_create: %s\n", strerror(err));
	}
	pthread_attr_destroy(&attr);
}

static void *worker(void *arg)
{
	long slot = (long)arg;
	unsigned seed = (unsigned)(slot * 7919 + syscall(SYS_gettid));
	atomic_store(&tids[slot], (int)syscall(SYS_gettid));
	while (!atomic_load(&stop) && !past_deadline()) {
		int r = rand_r(&seed) % 100;
		if (r < 25) {
			do_fork(rand_r(&seed) % 4); /* 0: exec /bin/true */
		} else if (r < 45) {
			static const int sigs[] = {0, 0, SIGUSR1, SIGTERM, SIGKILL};
			do_exec(2 + rand_r(&seed) % 20, sigs[rand_r(&seed) % 5]);
		} else if (r < 95) {
			do_tgkill(&seed);
			if (r % 5 == 0)
				sleep_ms(1);
		} else {
			/* Exit, leaving a new thread in this slot. */
			atomic_store(&tids[slot], 0);
			atomic_fetch_add(&recreated, 1);
			start_worker(slot);
			break;
		}
	}
	atomic_compare_exchange_strong(&tids[slot], &(int){(int)syscall(SYS_gettid)}, 0);
	atomic_fetch_sub(&live, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "helper") == 0) {
		sleep_ms(atoi(argv[2]));
		return 3;
	}
	self = argv[0];
	int secs = argc > 1 ? atoi(argv[1]) : 30;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += secs;

	for (long i = 0; i < NTHREADS; i++)
		start_worker(i);
	while (!past_deadline())
		sleep_ms(100);
	atomic_store(&stop, 1);
	/* Workers finish their current step; a helper sleeps at most 21 ms. */
	for (int waited = 0; atomic_load(&live) > 0; waited += 10) {
		if (waited >= 120 * 1000) {
			fprintf(stderr, "hostile_threads: %d threads still running 120 s after the deadline\n",
				atomic_load(&live));
			return 2;
		}
		sleep_ms(10);
	}
	/* Every child was reaped by its maker. */
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		FAIL("a child was left unreaped\n");
	fprintf(stderr, "hostile_threads: %ld forks, %ld execs (%ld killed), %ld tgkills (%ld handled), %ld threads recreated, %ld failures\n",
		atomic_load(&forks), atomic_load(&execs), atomic_load(&killed), atomic_load(&tgkills),
		atomic_load(&handled), atomic_load(&recreated), atomic_load(&failures));
	if (atomic_load(&failures) != 0 || atomic_load(&forks) == 0 || atomic_load(&execs) == 0 ||
	    atomic_load(&tgkills) == 0 || atomic_load(&recreated) == 0) {
		printf("hostile_threads: FAIL\n");
		return 1;
	}
	printf("hostile_threads: ok\n");
	return 0;
}
