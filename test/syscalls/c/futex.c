/* futex: waits and wakes across fork on MAP_SHARED memory, private
 * futexes between processes, requeue, wake_op, bitsets, timeouts on both
 * clocks, the PI protocol in one thread, futex_waitv's argument checks,
 * robust lists and CLONE_CHILD_CLEARTID. */
#include "test.h"

#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

static long futex(volatile uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
		  volatile uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *ts, int clock)
{
	return syscall(SYS_futex_waitv, w, n, flags, ts, clock);
}

static volatile uint32_t *shared_words(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

/* wake_until_one retries a wake until it wakes a waiter, for a waiter
 * that is sure to wait (its word never changes). */
static void wake_until_one(volatile uint32_t *w, int op)
{
	for (int i = 0; i < 20000; i++) {
		long r = futex(w, op, 1, NULL, NULL, 0);
		CHECK(r >= 0);
		if (r == 1)
			return;
		usleep(500);
	}
	CHECK(!"no waiter showed up");
}

/* The parent wakes a child waiting on a MAP_SHARED word, then the child
 * wakes the parent; the word was never touched before fork. The waits
 * have no timeout: a lost wake hangs the group. */
static void shared_ping_pong(void)
{
	volatile uint32_t *w = shared_words();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		while (w[0] == 0) {
			long r = futex(&w[0], FUTEX_WAIT, 0, NULL, NULL, 0);
			CHECK(r == 0 || errno == EAGAIN);
		}
		w[1] = 1;
		CHECK(futex(&w[1], FUTEX_WAKE, 1, NULL, NULL, 0) >= 0);
		_exit(0);
	}
	usleep(20000);
	w[0] = 1;
	CHECK(futex(&w[0], FUTEX_WAKE, 1, NULL, NULL, 0) >= 0);
	while (w[1] == 0) {
		long r = futex(&w[1], FUTEX_WAIT, 0, NULL, NULL, 0);
		CHECK(r == 0 || errno == EAGAIN);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Private futexes, and shared ones in private memory, never reach another
 * process: a wake finds nobody, and the child wakes only by its timeout. */
static void private_across_fork(void)
{
	static volatile uint32_t word;
	volatile uint32_t *sync = shared_words();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sync[0] = 1;
		struct timespec ts = {0, 300 * 1000 * 1000};
		CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), ETIMEDOUT);
		_exit(0);
	}
	while (sync[0] == 0)
		usleep(1000);
	usleep(50000);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A private wake of an unmapped word is no fault; a shared one is. */
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK_EQ(munmap(hole, 4096), 0);
	CHECK_EQ(futex(hole, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_ERRNO(futex(hole, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	CHECK_ERRNO(futex(hole, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
}

/* Argument errors and value checks that need no second process. */
static void arguments(void)
{
	static uint32_t word[2];
	CHECK_ERRNO(futex((uint32_t *)((char *)word + 1), FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex((uint32_t *)((char *)word + 2), FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(word, FUTEX_WAIT, 1, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(word, 2 /* FUTEX_FD */, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex(word, 99, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex(word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex(word, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex((uint32_t *)(uintptr_t)0xffffffffffff0000ull, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EFAULT);
	CHECK_ERRNO(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	struct timespec bad = {0, 1000000000};
	CHECK_ERRNO(futex(word, FUTEX_WAIT, 0, &bad, NULL, 0), EINVAL);
	struct timespec neg = {-1, 0};
	CHECK_ERRNO(futex(word, FUTEX_WAIT, 0, &neg, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(word, FUTEX_WAIT, 0, (void *)8, NULL, 0), EFAULT);
	/* Bitsets of 0 are EINVAL, for wait and wake alike. */
	CHECK_ERRNO(futex(word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
	CHECK_EQ(futex(word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 1), 0);
	/* CMP_REQUEUE compares first; negative counts are EINVAL. */
	word[0] = 5;
	CHECK_ERRNO(futex(&word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, &word[1], 4), EAGAIN);
	CHECK_EQ(futex(&word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, &word[1], 5), 0);
	CHECK_ERRNO(futex(&word[0], FUTEX_CMP_REQUEUE, -1, (void *)1, &word[1], 5), EINVAL);
	CHECK_ERRNO(futex(&word[0], FUTEX_REQUEUE, 1, (void *)-1, &word[1], 0), EINVAL);
	CHECK_ERRNO(futex(&word[0], FUTEX_CMP_REQUEUE, 1, (void *)1, (uint32_t *)((char *)word + 6), 5), EINVAL);
	PASS("futex-arguments");
}

/* WAKE_OP: every operation, the shift flag, every comparison. */
static void wake_op(void)
{
	static uint32_t w1, w2;
	struct {
		int op, oparg, cmp, cmparg;
		uint32_t before, after;
		int woke; /* does the comparison pass (no waiters: always 0 woken) */
	} cases[] = {
		{FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 3, 3, 7, 1},
		{FUTEX_OP_ADD, 5, FUTEX_OP_CMP_NE, 3, 3, 8, 0},
		{FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_LT, 4, 3, 0x13, 1},
		{FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_LE, 2, 3, 2, 0},
		{FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GT, -1, 3, 0xfc, 1},
		{FUTEX_OP_ADD, -1, FUTEX_OP_CMP_GE, 3, 3, 2, 1},
		{FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0, 3, 16, 0},
		{FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 33, FUTEX_OP_CMP_EQ, 0, 3, 2, 0},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w2 = cases[i].before;
		uint32_t enc = FUTEX_OP(cases[i].op, cases[i].oparg & 0xfff, cases[i].cmp, cases[i].cmparg & 0xfff);
		CHECK_EQ(futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2, enc), 0);
		if (w2 != cases[i].after)
			fprintf(stderr, "case %u: %u\n", i, w2);
		CHECK_EQ(w2, cases[i].after);
	}
	/* An unknown operation leaves the word alone; an unknown comparison
	 * is ENOSYS after the operation was done. */
	w2 = 3;
	CHECK_ERRNO(futex(&w1, FUTEX_WAKE_OP, 1, (void *)1, &w2, FUTEX_OP(6, 1, 0, 0)), ENOSYS);
	CHECK_EQ(w2, 3);
	CHECK_ERRNO(futex(&w1, FUTEX_WAKE_OP, 1, (void *)1, &w2, FUTEX_OP(FUTEX_OP_SET, 9, 7, 0)), ENOSYS);
	CHECK_EQ(w2, 9);
	/* The word must be writable. */
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK_ERRNO(futex(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, ro, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)), EFAULT);
	CHECK_EQ(*(uint32_t *)ro, 0);
	munmap(ro, 4096);
	PASS("futex-wake-op");
}

/* WAKE_OP and requeue across processes on shared memory: a child waits,
 * the parent moves it to another word and wakes it there. */
static void requeue_shared(void)
{
	volatile uint32_t *w = shared_words();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		w[2] = 1;
		struct timespec ts = {5, 0};
		CHECK_EQ(futex(&w[0], FUTEX_WAIT, 0, &ts, NULL, 0), 0);
		_exit(0);
	}
	while (w[2] == 0)
		usleep(1000);
	/* Move it from w[0] to w[1] (retrying until it is queued). */
	long moved = 0;
	for (int i = 0; i < 10000 && moved == 0; i++) {
		moved = futex(&w[0], FUTEX_CMP_REQUEUE, 0, (void *)1, &w[1], 0);
		CHECK(moved >= 0);
		if (moved == 0)
			usleep(500);
	}
	CHECK_EQ(moved, 1);
	CHECK_EQ(futex(&w[0], FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	/* WAKE_OP: w[1]'s waiter wakes because the old value of w[3] is 0. */
	CHECK_EQ(futex(&w[0], FUTEX_WAKE_OP, 1, (void *)1, &w[1], FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 1);
	CHECK_EQ(w[1], 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-requeue-shared");
}

/* Bitset wakes reach only waiters whose bitset meets theirs. */
static void bitset_shared(void)
{
	volatile uint32_t *w = shared_words();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		w[2] = 1;
		CHECK_EQ(futex(&w[0], FUTEX_WAIT_BITSET, 0, NULL, NULL, 0x2), 0);
		_exit(0);
	}
	while (w[2] == 0)
		usleep(1000);
	usleep(50000);
	CHECK_EQ(futex(&w[0], FUTEX_WAKE_BITSET, 1, NULL, NULL, 0x1), 0);
	wake_until_one(&w[0], FUTEX_WAKE); /* FUTEX_WAKE's bitset is all ones */
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-bitset");
}

static long long mono_ns(int clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Timeouts: relative for WAIT (on CLOCK_MONOTONIC only), absolute for WAIT_BITSET
 * (past deadlines time out at once), absolute CLOCK_REALTIME for LOCK_PI. */
static void timeouts(void)
{
	static uint32_t word;
	struct timespec rel = {0, 50 * 1000 * 1000};
	long long t0 = mono_ns(CLOCK_MONOTONIC);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0), ETIMEDOUT);
	CHECK(mono_ns(CLOCK_MONOTONIC) - t0 >= 50 * 1000 * 1000);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &rel, NULL, 0), ENOSYS);
	struct timespec zero = {0, 0};
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, &zero, NULL, 0), ETIMEDOUT);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 1, &zero, NULL, 0), EAGAIN);
	for (int i = 0; i < 2; i++) {
		int clock = i ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int flag = i ? FUTEX_CLOCK_REALTIME : 0;
		struct timespec past = {1, 0};
		CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET | flag, 0, &past, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
		long long at = mono_ns(clock) + 40 * 1000 * 1000;
		struct timespec abs = {at / 1000000000, at % 1000000000};
		CHECK_ERRNO(futex(&word, FUTEX_WAIT_BITSET | flag, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
		CHECK(mono_ns(clock) >= at);
	}
	PASS("futex-timeouts");
}

static volatile sig_atomic_t got_signal;
static void on_alarm(int sig)
{
	(void)sig;
	got_signal = 1;
}

/* A signal with a handler ends an untimed wait with EINTR (without
 * SA_RESTART) and a timed one with EINTR whatever SA_RESTART says. */
static void interrupted(void)
{
	static uint32_t word;
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	ualarm(30000, 0);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EINTR);
	CHECK_EQ(got_signal, 1);
	sa.sa_flags = SA_RESTART;
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	got_signal = 0;
	struct timespec ts = {2, 0};
	ualarm(30000, 0);
	CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, &ts, NULL, 0), EINTR);
	CHECK_EQ(got_signal, 1);
	/* A stopped and continued waiter (no handler) goes on waiting with
	 * its first deadline (restart_syscall), not with a new timeout: stopped
	 * past its deadline, it times out as soon as it is continued. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct timespec t = {0, 300 * 1000 * 1000};
		long long t0 = mono_ns(CLOCK_MONOTONIC);
		CHECK_ERRNO(futex(&word, FUTEX_WAIT, 0, &t, NULL, 0), ETIMEDOUT);
		long long took = mono_ns(CLOCK_MONOTONIC) - t0;
		if (took >= 1400ll * 1000 * 1000)
			fprintf(stderr, "the restarted wait took %lld ms\n", took / 1000000);
		CHECK(took >= 1000ll * 1000 * 1000);
		CHECK(took < 1400ll * 1000 * 1000);
		_exit(0);
	}
	usleep(50000);
	kill(pid, SIGSTOP);
	usleep(1000000);
	kill(pid, SIGCONT);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-interrupted");
}

/* The PI protocol in one thread: the word holds the owner's TID. */
static void pi_single(void)
{
	static uint32_t word;
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	CHECK_EQ(futex(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, tid);
	CHECK_ERRNO(futex(&word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK);
	CHECK_ERRNO(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK);
	CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, 0);
	CHECK_ERRNO(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
	CHECK_EQ(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, tid);
	CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
	/* OWNER_DIED survives a take-over; WAITERS without an owner does not
	 * stop one. */
	word = FUTEX_OWNER_DIED;
	CHECK_EQ(futex(&word, FUTEX_LOCK_PI2, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, FUTEX_OWNER_DIED | tid);
	CHECK_EQ(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, 0);
	word = FUTEX_WAITERS;
	CHECK_EQ(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), 0);
	CHECK_EQ(word, tid);
	word = 0;
	/* Held by a live process: TRYLOCK_PI answers EAGAIN and sets
	 * FUTEX_WAITERS; LOCK_PI times out at its absolute deadline. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	word = (uint32_t)pid;
	CHECK_ERRNO(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EAGAIN);
	CHECK_EQ(word, (uint32_t)pid | FUTEX_WAITERS);
	CHECK_ERRNO(futex(&word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
	long long at = mono_ns(CLOCK_REALTIME) + 30 * 1000 * 1000;
	struct timespec abs = {at / 1000000000, at % 1000000000};
	CHECK_ERRNO(futex(&word, FUTEX_LOCK_PI, 0, &abs, NULL, 0), ETIMEDOUT);
	long long mat = mono_ns(CLOCK_MONOTONIC) + 30 * 1000 * 1000;
	struct timespec mabs = {mat / 1000000000, mat % 1000000000};
	CHECK_ERRNO(futex(&word, FUTEX_LOCK_PI2, 0, &mabs, NULL, 0), ETIMEDOUT);
	kill(pid, SIGKILL);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	/* The owner is gone: ESRCH. */
	word = (uint32_t)pid;
	CHECK_ERRNO(futex(&word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), ESRCH);
	CHECK_ERRNO(futex(&word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), ESRCH);
	/* Requeue-PI argument checks. */
	static uint32_t cond, mutex;
	CHECK_ERRNO(futex(&cond, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cond, 0), EINVAL);
	CHECK_ERRNO(futex(&cond, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &mutex, 0), EAGAIN);
	CHECK_ERRNO(futex(&cond, FUTEX_CMP_REQUEUE_PI, 2, (void *)1, &mutex, 0), EINVAL);
	CHECK_ERRNO(futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &cond, 0), EINVAL);
	CHECK_ERRNO(futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &mutex, 1), EAGAIN);
	CHECK_EQ(futex(&cond, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &mutex, 0), 0);
	PASS("futex-pi");
}

/* A PI lock in shared memory: a child blocks in LOCK_PI, the parent's
 * UNLOCK_PI hands the lock over: the word then holds the child's TID. */
static void pi_handover(void)
{
	volatile uint32_t *w = shared_words();
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	CHECK_EQ(futex(&w[0], FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint32_t me = (uint32_t)syscall(SYS_gettid);
		CHECK_EQ(futex(&w[0], FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0);
		CHECK_EQ(w[0] & FUTEX_TID_MASK, me);
		CHECK_EQ(futex(&w[0], FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
		CHECK_EQ(w[0], 0);
		_exit(0);
	}
	while (w[0] != (tid | FUTEX_WAITERS))
		usleep(1000);
	CHECK_EQ(futex(&w[0], FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-pi-handover");
}

/* futex_waitv: argument errors, value mismatch, timeouts, a wake. */
static void waitv_checks(void)
{
	static uint32_t words[2];
	struct waitv v[2] = {
		{0, (uintptr_t)&words[0], FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
		{0, (uintptr_t)&words[1], FUTEX_32, 0},
	};
	struct timespec past = {0, 0};
	if (waitv(v, 2, 0, &past, CLOCK_MONOTONIC) == -1 && errno == ENOSYS) {
		PASS("futex-waitv");
		return; /* a kernel before 5.16 */
	}
	CHECK_ERRNO(waitv(v, 2, 1, NULL, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(v, 0, 0, NULL, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(v, 129, 0, NULL, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(NULL, 1, 0, NULL, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_BOOTTIME), EINVAL);
	CHECK_ERRNO(waitv(v, 2, 0, (void *)8, CLOCK_MONOTONIC), EFAULT);
	CHECK_ERRNO(waitv((void *)8, 2, 0, NULL, CLOCK_MONOTONIC), EFAULT);
	struct timespec bad = {0, -1};
	CHECK_ERRNO(waitv(v, 2, 0, &bad, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = 1; /* FUTEX2_SIZE_U16 */
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = FUTEX_32 | 4;
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), EINVAL);
	v[1].flags = FUTEX_32;
	v[1].reserved = 1;
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), EINVAL);
	v[1].reserved = 0;
	v[1].uaddr = (uintptr_t)&words[1] + 1;
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), EINVAL);
	v[1].uaddr = (uintptr_t)&words[1];
	v[1].val = 1;
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), EAGAIN);
	v[1].val = 0;
	CHECK_ERRNO(waitv(v, 2, 0, &past, CLOCK_MONOTONIC), ETIMEDOUT);
	long long at = mono_ns(CLOCK_REALTIME) + 30 * 1000 * 1000;
	struct timespec abs = {at / 1000000000, at % 1000000000};
	CHECK_ERRNO(waitv(v, 2, 0, &abs, CLOCK_REALTIME), ETIMEDOUT);
	CHECK(mono_ns(CLOCK_REALTIME) >= at);
	/* Woken by another process on shared memory: the index comes back. */
	volatile uint32_t *s = shared_words();
	struct waitv sv[3] = {
		{0, (uintptr_t)&s[0], FUTEX_32, 0},
		{0, (uintptr_t)&s[1], FUTEX_32, 0},
		{0, (uintptr_t)&words[0], FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
	};
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		s[2] = 1;
		struct timespec ts = {5, 0};
		CHECK_EQ(futex(&s[3], FUTEX_WAIT, 0, &ts, NULL, 0), 0); /* sleep; woken below */
		wake_until_one(&s[1], FUTEX_WAKE);
		_exit(0);
	}
	while (s[2] == 0)
		usleep(1000);
	wake_until_one(&s[3], FUTEX_WAKE);
	CHECK_EQ(waitv(sv, 3, 0, NULL, 0), 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-waitv");
}

struct robust_head {
	void *next;
	long futex_offset;
	void *pending;
};

/* set/get_robust_list, and the exit-time walk: a process that dies
 * holding robust locks in shared memory leaves them FUTEX_OWNER_DIED, and
 * a waiter is woken. */
static void robust(void)
{
	struct robust_head *head;
	size_t len;
	CHECK_ERRNO(syscall(SYS_set_robust_list, NULL, 23), EINVAL);
	CHECK_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0);
	CHECK_EQ(len, sizeof(struct robust_head));
	CHECK_ERRNO(syscall(SYS_get_robust_list, 0, NULL, &len), EFAULT);
	CHECK_ERRNO(syscall(SYS_get_robust_list, 0, &head, NULL), EFAULT);
	CHECK_ERRNO(syscall(SYS_get_robust_list, 0x3fffffff, &head, &len), ESRCH);

	/* Shared memory: [0] the list head, then three locks, each an entry
	 * (next pointer) followed by its word. */
	char *mem = (char *)shared_words();
	struct robust_head *h = (struct robust_head *)mem;
	struct lock {
		void *next;
		uint32_t word;
	} *locks = (struct lock *)(mem + 64);
	volatile uint32_t *ready = (uint32_t *)(mem + 1024);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		uint32_t me = (uint32_t)syscall(SYS_gettid);
		h->futex_offset = (long)((char *)&locks[0].word - (char *)&locks[0]);
		h->next = &locks[0];
		locks[0].next = &locks[1];
		locks[1].next = h;
		locks[0].word = me;                 /* held: gets OWNER_DIED */
		locks[1].word = me | FUTEX_WAITERS; /* held, with a waiter */
		locks[2].word = 0;                  /* pending, released */
		h->pending = &locks[2];
		CHECK_EQ(syscall(SYS_set_robust_list, h, sizeof(*h)), 0);
		struct robust_head *got;
		size_t glen;
		CHECK_EQ(syscall(SYS_get_robust_list, 0, &got, &glen), 0);
		CHECK(got == h);
		*ready = 1;
		pause();
		_exit(0);
	}
	while (*ready == 0)
		usleep(1000);
	struct robust_head *got;
	CHECK_EQ(syscall(SYS_get_robust_list, pid, &got, &len), 0);
	CHECK(got == h);
	uint32_t pid_word = (uint32_t)pid;
	/* Wait on the lock with waiters in a second child. */
	pid_t waiter = fork();
	CHECK(waiter >= 0);
	if (waiter == 0) {
		struct timespec ts = {5, 0};
		CHECK_EQ(futex(&locks[1].word, FUTEX_WAIT, pid_word | FUTEX_WAITERS, &ts, NULL, 0), 0);
		_exit(0);
	}
	usleep(100000);
	kill(pid, SIGKILL);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(locks[0].word, FUTEX_OWNER_DIED);
	CHECK_EQ(locks[1].word, FUTEX_OWNER_DIED | FUTEX_WAITERS);
	CHECK_EQ(locks[2].word, 0);
	CHECK_EQ(waitpid(waiter, &status, 0), waiter);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("futex-robust");
}

static volatile uint32_t tidword = 42;

static int vfork_child(void *arg)
{
	(void)arg;
	CHECK_EQ(tidword, 42);
	syscall(SYS_exit, 0);
	return 0;
}

/* CLONE_CHILD_CLEARTID: the word is cleared, and its waiter woken, only
 * when the memory stays in use (a vfork parent); a forked child's exit
 * leaves a shared word alone. CLONE_CHILD_SETTID writes the TID. */
static void clear_tid(void)
{
	volatile uint32_t *s = shared_words();
	s[0] = 42;
	pid_t pid = syscall(SYS_clone, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, NULL, NULL, &s[0], NULL);
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(s[0], (uint32_t)pid);
	static char stack[16384] __attribute__((aligned(16)));
	fflush(stdout);
	pid = clone(vfork_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | CLONE_CHILD_CLEARTID | SIGCHLD,
		    NULL, NULL, NULL, &tidword);
	CHECK(pid >= 0);
	CHECK_EQ(tidword, 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	PASS("futex-clear-tid");
}

static void pingpong_group(void)
{
	shared_ping_pong();
	PASS("futex-shared-fork");
}

static void private_group(void)
{
	private_across_fork();
	PASS("futex-private-fork");
}

int main(void)
{
	int failed = 0;
	failed |= run_group("shared", pingpong_group, 10);
	failed |= run_group("private", private_group, 10);
	failed |= run_group("arguments", arguments, 10);
	failed |= run_group("wake-op", wake_op, 10);
	failed |= run_group("requeue", requeue_shared, 10);
	failed |= run_group("bitset", bitset_shared, 10);
	failed |= run_group("timeouts", timeouts, 10);
	failed |= run_group("interrupted", interrupted, 10);
	failed |= run_group("pi", pi_single, 10);
	failed |= run_group("pi-handover", pi_handover, 10);
	failed |= run_group("waitv", waitv_checks, 10);
	failed |= run_group("robust", robust, 10);
	failed |= run_group("clear-tid", clear_tid, 10);
	return failed;
}
