/* seccomp: the application's own seccomp filters. ERRNO for one call
 * (capped at 4095), the mode in prctl and /proc; TRAP's SIGSYS and its
 * siginfo; KILL_PROCESS and KILL_THREAD statuses; strict mode; filters
 * kept across fork and execve; stacking and the precedence of actions;
 * TRACE with and without a tracer; TSYNC and its failing thread's TID;
 * EACCES without no_new_privs as non-root; bad programs (EINVAL, EFAULT);
 * GET_ACTION_AVAIL and GET_NOTIF_SIZES. Every filter is installed in a
 * child process: a filter cannot be removed.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <grp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "test.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static char *self_exe = "/proc/self/exe";

static long sys_seccomp(unsigned op, unsigned flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

/* A filter returning ret for system call nr and ALLOW for the others. */
static long install_for(long nr, uint32_t ret, unsigned flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, ret),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};
	return sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void nnp(void)
{
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
}

/* status_field returns the number after "name:" in /proc/self/status. */
static long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256];
	long v = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void test_errno(void)
{
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	CHECK_EQ(status_field("Seccomp"), 0);
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0);
	CHECK_ERRNO(syscall(SYS_getppid), EPERM);
	CHECK(syscall(SYS_getpid) > 0);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
	CHECK_EQ(status_field("Seccomp"), 2);
	CHECK_EQ(status_field("Seccomp_filters"), 1);
	CHECK_EQ(status_field("NoNewPrivs"), 1);
	/* The data is capped at MAX_ERRNO; 0 makes the call "succeed". */
	CHECK_EQ(install_for(SYS_getuid, SECCOMP_RET_ERRNO | 5000, 0), 0);
	CHECK_ERRNO(syscall(SYS_getuid), 4095);
	CHECK_EQ(install_for(SYS_getgid, SECCOMP_RET_ERRNO | 0, 0), 0);
	CHECK_EQ(syscall(SYS_getgid), 0);
	CHECK_EQ(status_field("Seccomp_filters"), 3);
}

static volatile void *after_syscall;
static volatile int sigsys_seen;

/* trap_call makes system call nr and records the address after its
 * syscall instruction, which si_call_addr names. */
static long trap_call(long nr)
{
	long ret;
	__asm__ volatile("lea 1f(%%rip), %%rdx\n\t"
			 "mov %%rdx, %1\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret), "=m"(after_syscall)
			 : "a"(nr)
			 : "rcx", "r11", "rdx", "memory");
	return ret;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	CHECK_EQ(sig, SIGSYS);
	CHECK_EQ(si->si_code, 1 /* SYS_SECCOMP */);
	CHECK_EQ(si->si_errno, 42);
	CHECK_EQ(si->si_syscall, SYS_getppid);
	CHECK_EQ(si->si_arch, AUDIT_ARCH_X86_64);
	CHECK(si->si_call_addr == after_syscall);
	sigsys_seen++;
}

static void test_trap(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_TRAP | 42, 0), 0);
	/* The call does not run; rax holds its number again, as the
	 * handler's context saw it. */
	CHECK_EQ(trap_call(SYS_getppid), SYS_getppid);
	CHECK_EQ(sigsys_seen, 1);
	CHECK(trap_call(SYS_getpid) > 0);
	CHECK_EQ(sigsys_seen, 1);
}

/* child_status runs fn in a child and returns its wait status. */
static int child_status(void (*fn)(void))
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void kill_process_body(void)
{
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0), 0);
	syscall(SYS_getppid);
	_exit(7);
}

static void kill_thread_body(void)
{
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0), 0);
	syscall(SYS_getppid);
	_exit(7);
}

static void *kill_me(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	return (void *)1; /* not reached */
}

/* KILL_THREAD in a process with another thread: only the caller dies;
 * the process goes on and exits normally. */
static void kill_one_thread_body(void)
{
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0), 0);
	pthread_t th;
	CHECK(pthread_create(&th, NULL, kill_me, NULL) == 0);
	void *ret = NULL;
	CHECK(pthread_join(th, &ret) == 0);
	CHECK(ret != (void *)1);
	_exit(9);
}

/* A blocked SIGSYS cannot stop TRAP: the default action kills. */
static void trap_blocked_body(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	CHECK(sigaction(SIGSYS, &sa, NULL) == 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_TRAP | 42, 0), 0);
	syscall(SYS_getppid);
	_exit(7);
}

/* A SIGSYS handler cannot catch a kill. */
static void kill_caught_body(void)
{
	signal(SIGSYS, SIG_IGN);
	kill_process_body();
}

static void strict_body(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0) == 0);
	char c = 'x';
	if (syscall(SYS_write, p[1], &c, 1) != 1 || syscall(SYS_read, p[0], &c, 1) != 1)
		syscall(SYS_exit, 1);
	if (c != 'x')
		syscall(SYS_exit, 2);
	syscall(SYS_getpid); /* killed here */
	syscall(SYS_exit, 3);
}

static void strict_exit_body(void)
{
	CHECK(sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL) == 0);
	syscall(SYS_exit, 5);
}

/* expect_killed runs fn in a child that must die of sig. */
static void expect_killed(void (*fn)(void), int sig)
{
	int st = child_status(fn);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), sig);
}

static void test_kill(void)
{
	expect_killed(kill_process_body, SIGSYS);
	/* The last thread of a process: KILL_THREAD takes the process. */
	expect_killed(kill_thread_body, SIGSYS);
	expect_killed(kill_caught_body, SIGSYS);
	expect_killed(trap_blocked_body, SIGSYS);
	int st = child_status(kill_one_thread_body);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 9);
	expect_killed(strict_body, SIGKILL);
	st = child_status(strict_exit_body);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 5);
}

static void test_inherit(void)
{
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (syscall(SYS_getppid) != -1 || errno != EPERM)
			_exit(1);
		if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(2);
		execl(self_exe, self_exe, "exec-check", (char *)NULL);
		_exit(3);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* exec_check runs in the exec'd image of test_inherit. */
static int exec_check(void)
{
	if (syscall(SYS_getppid) != -1 || errno != EPERM)
		return 10;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 2 || status_field("Seccomp_filters") != 1)
		return 11;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 12;
	return 0;
}

static void test_stacking(void)
{
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0), 0);
	/* ALLOW from a newer filter does not undo an older ERRNO. */
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ALLOW, 0), 0);
	CHECK_ERRNO(syscall(SYS_getppid), 1);
	/* Among equal actions, the newest filter's data wins. */
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | 3, 0), 0);
	CHECK_ERRNO(syscall(SYS_getppid), 3);
	/* ERRNO outranks TRACE and LOG. */
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_TRACE | 9, 0), 0);
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG), 0);
	CHECK_ERRNO(syscall(SYS_getppid), 3);
	/* TRACE without a tracer: ENOSYS; LOG runs the call. */
	CHECK_EQ(install_for(SYS_getuid, SECCOMP_RET_TRACE | 9, 0), 0);
	CHECK_ERRNO(syscall(SYS_getuid), ENOSYS);
	CHECK_EQ(install_for(SYS_getgid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW), 0);
	CHECK_EQ(syscall(SYS_getgid), getegid());
	/* USER_NOTIF with no listener: ENOSYS. */
	CHECK_EQ(install_for(SYS_getpgrp, SECCOMP_RET_USER_NOTIF, 0), 0);
	CHECK_ERRNO(syscall(SYS_getpgrp), ENOSYS);
	/* TRAP outranks ERRNO: the handler-less SIGSYS kills. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		install_for(SYS_getppid, SECCOMP_RET_TRAP, 0);
		syscall(SYS_getppid);
		_exit(1);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSYS);
	CHECK_EQ(status_field("Seccomp_filters"), 8);
}

static int tpipe[2], tdone[2];
static volatile pid_t thread_tid;

/* tsync_thread waits for a byte, then reports whether getppid fails with
 * EPERM (1) or not (0). */
static void *tsync_thread(void *own)
{
	if (own)
		CHECK_EQ(install_for(SYS_getgid, SECCOMP_RET_ERRNO | EIO, 0), 0);
	thread_tid = (pid_t)syscall(SYS_gettid);
	char c;
	read_full(tpipe[0], &c, 1);
	c = syscall(SYS_getppid) == -1 && errno == EPERM;
	write_all(tdone[1], &c, 1);
	return NULL;
}

static void test_tsync(void)
{
	CHECK(pipe(tpipe) == 0 && pipe(tdone) == 0);
	nnp();
	pthread_t th;
	CHECK(pthread_create(&th, NULL, tsync_thread, NULL) == 0);
	while (thread_tid == 0)
		usleep(1000);
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC), 0);
	char c = 0;
	write_all(tpipe[1], &c, 1);
	read_full(tdone[0], &c, 1);
	CHECK_EQ(c, 1);
	CHECK(pthread_join(th, NULL) == 0);

	/* A thread with a filter of its own cannot be synchronized: the
	 * call fails with its TID (or ESRCH), and nothing changes. */
	thread_tid = 0;
	CHECK(pthread_create(&th, NULL, tsync_thread, (void *)1) == 0);
	while (thread_tid == 0)
		usleep(1000);
	CHECK_EQ(install_for(SYS_getuid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC), thread_tid);
	CHECK_ERRNO(install_for(SYS_getuid, SECCOMP_RET_ERRNO | EPERM,
				SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH), ESRCH);
	CHECK(syscall(SYS_getuid) >= 0);
	CHECK_EQ(status_field("Seccomp_filters"), 1);
	write_all(tpipe[1], &c, 1);
	read_full(tdone[0], &c, 1);
	CHECK_EQ(c, 1);
	CHECK(pthread_join(th, NULL) == 0);
	/* Without TSYNC the caller alone gets it. */
	CHECK_EQ(install_for(SYS_getuid, SECCOMP_RET_ERRNO | EPERM, 0), 0);
	CHECK_ERRNO(syscall(SYS_getuid), EPERM);
}

static void test_eacces(void)
{
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setgid(65534) == 0);
	CHECK(setuid(65534) == 0);
	CHECK_ERRNO(install_for(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), EACCES);
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = 1, .filter = &allow};
	CHECK_ERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0), EACCES);
	CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
	nnp();
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	CHECK_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0), 0);
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0), 0);
	CHECK_ERRNO(syscall(SYS_getppid), EPERM);
}

static long install_raw(struct sock_filter *insns, unsigned short len)
{
	struct sock_fprog prog = {.len = len, .filter = insns};
	return sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static void test_bad(void)
{
	nnp();
	struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_filter bad[][3] = {
		/* An opcode seccomp refuses (a byte load). */
		{BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
		/* A load past seccomp_data, and an unaligned one. */
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
		/* A jump out of the program. */
		{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
		/* No RET at the end. */
		{BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_IMM, 0)},
		/* Division by a constant 0. */
		{BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
		/* A scratch cell read before it is written. */
		{BPF_STMT(BPF_LD | BPF_MEM, 2), BPF_STMT(BPF_RET | BPF_A, 0)},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(install_raw(bad[i], 2), EINVAL, fprintf(stderr, "bad program %zu\n", i); _exit(1));
	}
	CHECK_ERRNO(install_raw(ok, 0), EINVAL);
	static struct sock_filter many[BPF_MAXINSNS + 1];
	for (int i = 0; i <= BPF_MAXINSNS; i++)
		many[i] = ok[0];
	CHECK_ERRNO(install_raw(many, BPF_MAXINSNS + 1), EINVAL);
	/* A NULL program is EINVAL (bpf_check_basics_ok), a bad one EFAULT. */
	CHECK_ERRNO(install_raw(NULL, 1), EINVAL);
	CHECK_ERRNO(install_raw((struct sock_filter *)8, 1), EFAULT);
	CHECK_ERRNO(sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, (void *)8), EFAULT);
	CHECK_ERRNO(sys_seccomp(SECCOMP_SET_MODE_FILTER, 1u << 30, NULL), EINVAL);
	CHECK_ERRNO(sys_seccomp(99, 0, NULL), EINVAL);
	CHECK_ERRNO(sys_seccomp(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL);
	CHECK_ERRNO(prctl(PR_SET_SECCOMP, 3, 0, 0, 0), EINVAL);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	/* A chain of the largest programs is bounded (MAX_INSNS_PER_PATH). */
	int n = 0;
	long r;
	while ((r = install_raw(many, BPF_MAXINSNS)) == 0)
		n++;
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, ENOMEM);
	/* Linux counts the instructions of the programs as converted to
	 * eBPF (3 fit), the sentry the classic ones (7). */
	CHECK(n >= 3 && n <= 7);
	/* Filter mode forbids strict mode. */
	CHECK_ERRNO(sys_seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL), EINVAL);
}

static void test_queries(void)
{
	uint32_t actions[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
			      SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE,
			      SECCOMP_RET_LOG, SECCOMP_RET_ALLOW};
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		CHECK_EQ(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]), 0);
	uint32_t odd = 0x12340000;
	CHECK_ERRNO(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &odd), EOPNOTSUPP);
	CHECK_ERRNO(sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, NULL), EFAULT);
	struct seccomp_notif_sizes sz;
	CHECK_EQ(sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sz), 0);
	CHECK_EQ(sz.seccomp_notif, 80);
	CHECK_EQ(sz.seccomp_notif_resp, 24);
	CHECK_EQ(sz.seccomp_data, 64);
}

static void traced_body(void)
{
	CHECK(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0);
	raise(SIGSTOP);
	nnp();
	CHECK_EQ(install_for(SYS_getppid, SECCOMP_RET_TRACE | 0x77, 0), 0);
	CHECK_EQ(install_for(SYS_getuid, SECCOMP_RET_TRACE | 0x55, 0), 0);
	/* The tracer skips this one with its own result... */
	CHECK_EQ(syscall(SYS_getppid), 555);
	/* ...and lets this one run. */
	CHECK_EQ(syscall(SYS_getuid), geteuid());
	_exit(0);
}

static void test_trace(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		traced_body();
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	CHECK(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP) == 0);
	for (int stop = 0; stop < 2; stop++) {
		CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSTOPPED(st));
		CHECK_EQ(st >> 8, SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
		unsigned long msg = 0;
		CHECK(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0);
		struct user_regs_struct regs;
		CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
		CHECK_EQ((long)regs.rax, -ENOSYS);
		if (stop == 0) {
			CHECK_EQ(msg, 0x77);
			CHECK_EQ(regs.orig_rax, SYS_getppid);
			regs.orig_rax = -1;
			regs.rax = 555;
			CHECK(ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0);
		} else {
			CHECK_EQ(msg, 0x55);
			CHECK_EQ(regs.orig_rax, SYS_getuid);
		}
	}
	/* Resumed with PTRACE_SYSCALL from a seccomp stop, the call ends
	 * in a syscall-exit stop. */
	CHECK(ptrace(PTRACE_SYSCALL, pid, 0, 0) == 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(st >> 8, SIGTRAP);
	struct user_regs_struct regs;
	CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
	CHECK_EQ(regs.orig_rax, SYS_getuid);
	CHECK_EQ(regs.rax, geteuid());
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
		return exec_check();
	setvbuf(stdout, NULL, _IONBF, 0);
	int fails = 0;
	fails += run_group("errno", test_errno, 10);
	fails += run_group("trap", test_trap, 10);
	fails += run_group("kill", test_kill, 10);
	fails += run_group("inherit across fork and exec", test_inherit, 10);
	fails += run_group("stacking", test_stacking, 10);
	fails += run_group("tsync", test_tsync, 10);
	fails += run_group("eacces without no_new_privs", test_eacces, 10);
	fails += run_group("bad programs", test_bad, 10);
	fails += run_group("queries", test_queries, 10);
	fails += run_group("trace", test_trace, 10);
	return fails != 0;
}
