/* sigreturn: rt_sigreturn restores every register the handler clobbered
 * (general purpose and SSE), honours changes the handler made to its
 * ucontext, and a computation interrupted by many signals from another
 * process still gets the right answer. x86-64 only. */
#include "test.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

static volatile sig_atomic_t handled;
static volatile long long seen_r12, seen_rbx;

/* on_usr1 records what the interrupted context held and changes r13 in
 * it, then scribbles over every caller-saved register and xmm0-xmm15. */
static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	seen_r12 = uc->uc_mcontext.gregs[REG_R12];
	seen_rbx = uc->uc_mcontext.gregs[REG_RBX];
	uc->uc_mcontext.gregs[REG_R13] = 0x1313131313131313LL;
	handled++;
	__asm__ volatile(
		"mov $-1, %%rax\n\t"
		"mov $-1, %%rcx\n\t"
		"mov $-1, %%rdx\n\t"
		"mov $-1, %%rsi\n\t"
		"mov $-1, %%rdi\n\t"
		"mov $-1, %%r8\n\t"
		"mov $-1, %%r9\n\t"
		"mov $-1, %%r10\n\t"
		"mov $-1, %%r11\n\t"
		"pcmpeqd %%xmm0, %%xmm0\n\t"
		"pcmpeqd %%xmm1, %%xmm1\n\t"
		"pcmpeqd %%xmm2, %%xmm2\n\t"
		"pcmpeqd %%xmm3, %%xmm3\n\t"
		"pcmpeqd %%xmm4, %%xmm4\n\t"
		"pcmpeqd %%xmm5, %%xmm5\n\t"
		"pcmpeqd %%xmm6, %%xmm6\n\t"
		"pcmpeqd %%xmm7, %%xmm7\n\t"
		"pcmpeqd %%xmm8, %%xmm8\n\t"
		"pcmpeqd %%xmm9, %%xmm9\n\t"
		"pcmpeqd %%xmm10, %%xmm10\n\t"
		"pcmpeqd %%xmm11, %%xmm11\n\t"
		"pcmpeqd %%xmm12, %%xmm12\n\t"
		"pcmpeqd %%xmm13, %%xmm13\n\t"
		"pcmpeqd %%xmm14, %%xmm14\n\t"
		"pcmpeqd %%xmm15, %%xmm15\n\t"
		:
		:
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
		  "xmm15", "memory");
}

struct regs {
	long long rbx, rbp, r8, r9, r10, r12, r13, r14, r15, rdx;
	long long xmm8[2], xmm15[2];
};

/* signal_self loads known values into registers, makes the kill system
 * call directly (so no libc code runs between the loads and the signal),
 * then stores the registers as they are after rt_sigreturn. */
static void signal_self(struct regs *out)
{
	static const long long x8[2] = {0x0808080808080808LL, 0x1818181818181818LL};
	static const long long x15[2] = {0x0f0f0f0f0f0f0f0fLL, 0x1f1f1f1f1f1f1f1fLL};
	long pid = getpid();
	__asm__ volatile(
		"sub $128, %%rsp\n\t" /* step over the red zone */
		"push %%rbp\n\t"
		"push %%rbx\n\t"
		"push %%r12\n\t"
		"push %%r13\n\t"
		"push %%r14\n\t"
		"push %%r15\n\t"
		"push %[out]\n\t"
		"movdqu (%[x8]), %%xmm8\n\t"
		"movdqu (%[x15]), %%xmm15\n\t"
		"mov %[pid], %%rdi\n\t"
		"mov $0xbbbbbbbbbbbbbbbb, %%rbx\n\t"
		"mov $0x5555555555555555, %%rbp\n\t"
		"mov $0x0808080808080808, %%r8\n\t"
		"mov $0x0909090909090909, %%r9\n\t"
		"mov $0x1010101010101010, %%r10\n\t"
		"mov $0x1212121212121212, %%r12\n\t"
		"mov $0x0d0d0d0d0d0d0d0d, %%r13\n\t"
		"mov $0x1414141414141414, %%r14\n\t"
		"mov $0x1515151515151515, %%r15\n\t"
		"mov $0xdddddddddddddddd, %%rdx\n\t"
		"mov $10, %%rsi\n\t" /* SIGUSR1 */
		"mov $62, %%eax\n\t" /* SYS_kill */
		"syscall\n\t"
		"pop %%rax\n\t" /* out */
		"mov %%rbx, 0(%%rax)\n\t"
		"mov %%rbp, 8(%%rax)\n\t"
		"mov %%r8, 16(%%rax)\n\t"
		"mov %%r9, 24(%%rax)\n\t"
		"mov %%r10, 32(%%rax)\n\t"
		"mov %%r12, 40(%%rax)\n\t"
		"mov %%r13, 48(%%rax)\n\t"
		"mov %%r14, 56(%%rax)\n\t"
		"mov %%r15, 64(%%rax)\n\t"
		"mov %%rdx, 72(%%rax)\n\t"
		"movdqu %%xmm8, 80(%%rax)\n\t"
		"movdqu %%xmm15, 96(%%rax)\n\t"
		"pop %%r15\n\t"
		"pop %%r14\n\t"
		"pop %%r13\n\t"
		"pop %%r12\n\t"
		"pop %%rbx\n\t"
		"pop %%rbp\n\t"
		"add $128, %%rsp\n\t"
		:
		: [out] "r"(out), [pid] "r"(pid), [x8] "r"(x8), [x15] "r"(x15)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "xmm8", "xmm15", "memory", "cc");
}

/* compute does integer and floating-point work whose result is fixed. */
static double compute(long long *isum)
{
	double d = 0;
	long long s = 0;
	for (int i = 1; i <= 200000; i++) {
		d += 1.0 / ((double)i * i);
		s = s * 31 + i;
	}
	*isum = s;
	return d;
}

static void on_tick(int sig)
{
	/* clobber FP and integer state the interrupted code may be using */
	volatile double x = sig;
	for (int i = 0; i < 100; i++)
		x = x * 1.5 + 0.25;
	handled++;
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);

	struct regs r;
	memset(&r, 0, sizeof(r));
	signal_self(&r);
	CHECK_EQ(handled, 1);
	CHECK_EQ(seen_r12, 0x1212121212121212LL);
	CHECK_EQ(seen_rbx, (long long)0xbbbbbbbbbbbbbbbbULL);
	CHECK_EQ(r.rbx, (long long)0xbbbbbbbbbbbbbbbbULL);
	CHECK_EQ(r.rbp, 0x5555555555555555LL);
	CHECK_EQ(r.r8, 0x0808080808080808LL);
	CHECK_EQ(r.r9, 0x0909090909090909LL);
	CHECK_EQ(r.r10, 0x1010101010101010LL);
	CHECK_EQ(r.r12, 0x1212121212121212LL);
	CHECK_EQ(r.r13, 0x1313131313131313LL); /* changed through the ucontext */
	CHECK_EQ(r.r14, 0x1414141414141414LL);
	CHECK_EQ(r.r15, 0x1515151515151515LL);
	CHECK_EQ(r.rdx, (long long)0xddddddddddddddddULL);
	PASS("gprs-restored");
	CHECK_EQ(r.xmm8[0], 0x0808080808080808LL);
	CHECK_EQ(r.xmm8[1], 0x1818181818181818LL);
	CHECK_EQ(r.xmm15[0], 0x0f0f0f0f0f0f0f0fLL);
	CHECK_EQ(r.xmm15[1], 0x1f1f1f1f1f1f1f1fLL);
	PASS("xmm-restored");

	/* a long computation interrupted by signals from a child */
	long long want_i;
	double want = compute(&want_i);
	struct sigaction tick = {0};
	tick.sa_handler = on_tick;
	tick.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGUSR2, &tick, NULL) == 0);
	handled = 0;
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pid_t parent = getppid();
		struct timespec ts = {0, 2000000};
		for (int i = 0; i < 200; i++) {
			if (kill(parent, SIGUSR2) != 0)
				_exit(1);
			nanosleep(&ts, NULL);
		}
		_exit(0);
	}
	int rounds = 0, status = 0;
	for (;;) {
		long long got_i;
		double got = compute(&got_i);
		if (got != want)
			fprintf(stderr, "round %d: FP result %a, want %a (%d handlers ran)\n",
				rounds, got, want, (int)handled);
		CHECK(got == want);
		CHECK_EQ(got_i, want_i);
		rounds++;
		pid_t w = waitpid(pid, &status, WNOHANG);
		CHECK(w >= 0);
		if (w == pid)
			break;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(handled > 0);
	PASS("computation-survives-signals");
	return 0;
}
