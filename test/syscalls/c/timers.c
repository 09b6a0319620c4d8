/* timers: POSIX timers (timer_create and friends) on the realtime,
 * monotonic and CPU-time clocks, with SIGEV_SIGNAL, SIGEV_NONE and
 * SIGEV_THREAD_ID to the caller; overruns while the signal is blocked;
 * absolute times; errors; and ITIMER_VIRTUAL / ITIMER_PROF, which count
 * CPU time and fire while the process spins in its own code.
 */
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "test.h"

static volatile sig_atomic_t fired, last_overrun, last_code;
static volatile int last_value;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	fired++;
	last_code = si->si_code;
	last_overrun = si->si_overrun;
	last_value = si->si_value.sival_int;
}

static void handle(int sig)
{
	struct sigaction sa = {.sa_sigaction = on_timer, .sa_flags = SA_SIGINFO};
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void spin_cpu_until(volatile sig_atomic_t *flag, int want)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (*flag < want) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		CHECK(now.tv_sec - start.tv_sec < 10);
	}
}

static void test_oneshot_and_interval(void)
{
	handle(SIGRTMIN);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
	ev.sigev_value.sival_int = 1234;
	timer_t tm;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);

	struct itimerspec its = {.it_value = {0, 20 * 1000 * 1000}};
	fired = 0;
	CHECK(timer_settime(tm, 0, &its, NULL) == 0);
	struct itimerspec cur;
	CHECK(timer_gettime(tm, &cur) == 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20 * 1000 * 1000);
	while (!fired)
		pause();
	CHECK_EQ(last_code, SI_TIMER);
	CHECK_EQ(last_value, 1234);
	CHECK(timer_gettime(tm, &cur) == 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	PASS("one-shot timer");

	/* An interval timer whose signal is blocked piles up overruns. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	its.it_value.tv_nsec = 5 * 1000 * 1000;
	its.it_interval.tv_nsec = 5 * 1000 * 1000;
	fired = 0;
	CHECK(timer_settime(tm, 0, &its, NULL) == 0);
	usleep(60 * 1000);
	CHECK_EQ(fired, 0);
	CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
	CHECK_EQ(fired, 1);
	CHECK(last_overrun >= 3);
	CHECK_EQ(timer_getoverrun(tm), last_overrun);
	its = (struct itimerspec){0};
	struct itimerspec old;
	CHECK(timer_settime(tm, 0, &its, &old) == 0);
	CHECK(old.it_interval.tv_nsec == 5 * 1000 * 1000);
	CHECK(timer_delete(tm) == 0);
	CHECK_ERRNO(timer_delete(tm), EINVAL);
	CHECK_ERRNO(timer_gettime(tm, &cur), EINVAL);
	PASS("interval timer and overruns");
}

static void test_abstime_and_none(void)
{
	/* SIGEV_NONE: no signal, but the time left is kept. */
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	timer_t tm;
	CHECK(timer_create(CLOCK_REALTIME, &ev, &tm) == 0);
	struct timespec now;
	CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
	struct itimerspec its = {.it_value = {now.tv_sec + 100, 0}};
	CHECK(timer_settime(tm, TIMER_ABSTIME, &its, NULL) == 0);
	struct itimerspec cur;
	CHECK(timer_gettime(tm, &cur) == 0);
	CHECK(cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100);
	/* An absolute time in the past expires at once. */
	its.it_value.tv_sec = now.tv_sec - 10;
	CHECK(timer_settime(tm, TIMER_ABSTIME, &its, NULL) == 0);
	CHECK(timer_gettime(tm, &cur) == 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	its.it_value.tv_nsec = 1000000000;
	CHECK_ERRNO(timer_settime(tm, 0, &its, NULL), EINVAL);
	CHECK(timer_delete(tm) == 0);
	PASS("SIGEV_NONE and TIMER_ABSTIME");

	/* The kernel's default sigevent: SIGALRM with the timer's ID as
	 * value (glibc passes its own, so call it directly). */
	handle(SIGALRM);
	int kid = -1;
	CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &kid) == 0);
	its = (struct itimerspec){.it_value = {0, 1000 * 1000}};
	fired = 0;
	CHECK(syscall(SYS_timer_settime, kid, 0, &its, NULL) == 0);
	while (!fired)
		pause();
	CHECK_EQ(last_value, kid);
	CHECK(syscall(SYS_timer_delete, kid) == 0);
	PASS("default sigevent");
}

static void test_errors(void)
{
	timer_t tm;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0};
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &tm), EINVAL);
	ev.sigev_signo = 65;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &tm), EINVAL);
	ev.sigev_signo = SIGUSR1;
	ev.sigev_notify = 99;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &tm), EINVAL);
	ev.sigev_notify = SIGEV_SIGNAL;
	CHECK_ERRNO(timer_create(12345, &ev, &tm), EINVAL);
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC_RAW, &ev, &tm), ENOTSUP);
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, (void *)8), EFAULT);
	/* SIGEV_THREAD_ID must name a thread of the caller's process. */
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev._sigev_un._tid = 4194000;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &tm), EINVAL);
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0);
	CHECK(timer_delete(tm) == 0);
	CHECK_ERRNO(syscall(SYS_timer_settime, 999, 0, NULL, NULL), EINVAL);
	CHECK_EQ(syscall(SYS_timer_getoverrun, 999), -1);
	PASS("timer errors");
}

static void test_cpu_timers(void)
{
	/* A timer on the process's CPU clock fires while it spins. */
	handle(SIGUSR1);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	timer_t tm;
	CHECK(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &tm) == 0);
	struct itimerspec its = {.it_value = {0, 30 * 1000 * 1000}};
	fired = 0;
	struct timespec before, after;
	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &before) == 0);
	CHECK(timer_settime(tm, 0, &its, NULL) == 0);
	spin_cpu_until(&fired, 1);
	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &after) == 0);
	long long used = (after.tv_sec - before.tv_sec) * 1000000000LL + after.tv_nsec - before.tv_nsec;
	CHECK(used >= 30 * 1000 * 1000);
	CHECK(timer_delete(tm) == 0);

	clockid_t cid;
	CHECK(clock_getcpuclockid(getpid(), &cid) == 0);
	struct timespec ts;
	CHECK(clock_gettime(cid, &ts) == 0);
	CHECK(ts.tv_sec > 0 || ts.tv_nsec > 0);
	PASS("CPU-time timer");

	/* ITIMER_VIRTUAL and ITIMER_PROF fire while the process spins in
	 * its own code, and report what is left. */
	int sigs[] = {SIGVTALRM, SIGPROF}, which[] = {ITIMER_VIRTUAL, ITIMER_PROF};
	for (int i = 0; i < 2; i++) {
		handle(sigs[i]);
		struct itimerval iv = {.it_value = {0, 20000}, .it_interval = {0, 20000}}, cur;
		fired = 0;
		CHECK(setitimer(which[i], &iv, NULL) == 0);
		CHECK(getitimer(which[i], &cur) == 0);
		CHECK(cur.it_interval.tv_usec == 20000);
		spin_cpu_until(&fired, 3);
		iv = (struct itimerval){0};
		CHECK(setitimer(which[i], &iv, &cur) == 0);
		CHECK(cur.it_interval.tv_usec == 20000);
	}
	PASS("ITIMER_VIRTUAL and ITIMER_PROF");
	struct itimerval iv;
	CHECK_ERRNO(getitimer(3, &iv), EINVAL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_oneshot_and_interval();
	test_abstime_and_none();
	test_errors();
	test_cpu_timers();
	return 0;
}
