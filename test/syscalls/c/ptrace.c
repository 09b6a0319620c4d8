/* ptrace: ptrace between processes of the sandbox, as strace and gdb
 * use it: PTRACE_TRACEME and the exec SIGTRAP; syscall stops with
 * TRACESYSGOOD and PTRACE_GET_SYSCALL_INFO; changing a syscall's result
 * and skipping one; PEEKDATA/POKEDATA and process_vm_readv; signal-
 * delivery stops, suppressing and injecting signals; fork and exit
 * events; PTRACE_SEIZE with PTRACE_INTERRUPT; a software breakpoint
 * written with POKETEXT; single-stepping; the tracer's view in /proc.
 */
#include <linux/audit.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "test.h"

static volatile long shared_word = 0x1122334455667788;

static int wait_stop(pid_t pid)
{
	int st;
	CHECK_EQ(waitpid(pid, &st, __WALL), pid);
	CHECK(WIFSTOPPED(st));
	return st;
}

/* A child that stops itself once traced, then runs getppid and writes. */
static pid_t traced_child(void (*body)(void))
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0);
		raise(SIGSTOP);
		body();
		_exit(0);
	}
	int st = wait_stop(pid);
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	return pid;
}

static void body_syscalls(void)
{
	long r = syscall(SYS_getppid);
	/* The tracer changed the result to 4242. */
	_exit(r == 4242 ? 0 : 1);
}

static void test_syscall_stops(void)
{
	pid_t pid = traced_child(body_syscalls);
	CHECK(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD) == 0);
	/* Run to the getppid entry. */
	for (;;) {
		CHECK(ptrace(PTRACE_SYSCALL, pid, 0, 0) == 0);
		int st = wait_stop(pid);
		CHECK_EQ(WSTOPSIG(st), SIGTRAP | 0x80);
		struct user_regs_struct regs;
		CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
		struct __ptrace_syscall_info info;
		long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
		CHECK(n > 0);
		CHECK_EQ(info.op, PTRACE_SYSCALL_INFO_ENTRY);
		CHECK_EQ(info.arch, AUDIT_ARCH_X86_64);
		CHECK_EQ(info.entry.nr, regs.orig_rax);
		CHECK_EQ((long)regs.rax, -ENOSYS);
		int is_getppid = regs.orig_rax == SYS_getppid;
		/* To the exit stop. */
		CHECK(ptrace(PTRACE_SYSCALL, pid, 0, 0) == 0);
		st = wait_stop(pid);
		CHECK_EQ(WSTOPSIG(st), SIGTRAP | 0x80);
		n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
		CHECK(n > 0);
		CHECK_EQ(info.op, PTRACE_SYSCALL_INFO_EXIT);
		if (is_getppid) {
			CHECK_EQ(info.exit.rval, getpid());
			CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
			regs.rax = 4242;
			CHECK(ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0);
			break;
		}
	}
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	PASS("syscall stops, GET_SYSCALL_INFO, SETREGS");
}

static void body_memory(void)
{
	raise(SIGUSR1); /* the tracer suppresses it */
	raise(SIGUSR2); /* the tracer turns it into SIGTERM's exit */
	_exit(shared_word == 0x0102030405060708 ? 0 : 1);
}

static void test_memory_and_signals(void)
{
	pid_t pid = traced_child(body_memory);
	errno = 0;
	long w = ptrace(PTRACE_PEEKDATA, pid, &shared_word, 0);
	CHECK(errno == 0);
	CHECK_EQ(w, 0x1122334455667788);
	CHECK(ptrace(PTRACE_POKEDATA, pid, &shared_word, 0x0102030405060708) == 0);
	long got = 0;
	struct iovec local = {&got, sizeof got}, remote = {(void *)&shared_word, sizeof got};
	CHECK_EQ(process_vm_readv(pid, &local, 1, &remote, 1, 0), sizeof got);
	CHECK_EQ(got, 0x0102030405060708);
	errno = 0;
	ptrace(PTRACE_PEEKDATA, pid, 8, 0);
	CHECK_EQ(errno, EIO);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	int st = wait_stop(pid);
	CHECK_EQ(WSTOPSIG(st), SIGUSR1);
	siginfo_t si;
	CHECK(ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_TKILL);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0); /* suppressed */
	st = wait_stop(pid);
	CHECK_EQ(WSTOPSIG(st), SIGUSR2);
	/* An injected signal is delivered at once, without another stop. */
	CHECK(ptrace(PTRACE_CONT, pid, 0, SIGTERM) == 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);
	PASS("PEEK/POKE, process_vm_readv, signal-delivery stops");
}

static void body_fork(void)
{
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	int st;
	waitpid(c, &st, 0);
	_exit(WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 3 : 1);
}

static void test_events(void)
{
	pid_t pid = traced_child(body_fork);
	CHECK(ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXIT) == 0);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	int st = wait_stop(pid);
	CHECK_EQ(st >> 8, SIGTRAP | (PTRACE_EVENT_FORK << 8));
	unsigned long child;
	CHECK(ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) == 0);
	/* The new child is traced too and starts stopped. */
	st = wait_stop((pid_t)child);
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	CHECK(ptrace(PTRACE_CONT, (pid_t)child, 0, 0) == 0);
	st = wait_stop((pid_t)child);
	CHECK_EQ(st >> 8, SIGTRAP | (PTRACE_EVENT_EXIT << 8));
	unsigned long status;
	CHECK(ptrace(PTRACE_GETEVENTMSG, (pid_t)child, 0, &status) == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	CHECK(ptrace(PTRACE_CONT, (pid_t)child, 0, 0) == 0);
	/* Not our child: its exit is reported to us as its tracer. */
	CHECK_EQ(waitpid((pid_t)child, &st, __WALL), (pid_t)child);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	for (;;) {
		st = wait_stop(pid);
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)))
			break;
		/* SIGCHLD from the grandchild. */
		CHECK_EQ(WSTOPSIG(st), SIGCHLD);
		CHECK(ptrace(PTRACE_CONT, pid, 0, SIGCHLD) == 0);
	}
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 3);
	PASS("fork and exit events");
}

static void test_seize_interrupt(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		read(p[0], &c, 1);
		_exit(5);
	}
	CHECK(ptrace(PTRACE_SEIZE, pid, 0, 0) == 0);
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char want[64];
	snprintf(want, sizeof want, "TracerPid:\t%d\n", getpid());
	CHECK(strstr(buf, want) != NULL);
	CHECK(ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0);
	int st = wait_stop(pid);
	CHECK_EQ(st >> 8, SIGTRAP | (PTRACE_EVENT_STOP << 8));
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 5);
	CHECK_ERRNO(ptrace(PTRACE_CONT, pid, 0, 0), ESRCH);
	CHECK_ERRNO(ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM);
	CHECK_ERRNO(ptrace(PTRACE_CONT, 4194000, 0, 0), ESRCH);
	PASS("PTRACE_SEIZE and PTRACE_INTERRUPT");
}

/* The breakpoint target: a function the tracer plants an int3 in. */
__attribute__((noinline)) static int target_fn(int x) { return x * 3; }

static void body_breakpoint(void) { _exit(target_fn(14) == 42 ? 0 : 1); }

static void test_breakpoint_and_step(void)
{
	pid_t pid = traced_child(body_breakpoint);
	uintptr_t addr = (uintptr_t)target_fn;
	errno = 0;
	long orig = ptrace(PTRACE_PEEKTEXT, pid, addr, 0);
	CHECK(errno == 0);
	CHECK(ptrace(PTRACE_POKETEXT, pid, addr, (orig & ~0xffL) | 0xcc) == 0);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	int st = wait_stop(pid);
	CHECK_EQ(WSTOPSIG(st), SIGTRAP);
	struct user_regs_struct regs;
	CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
	CHECK_EQ(regs.rip, addr + 1);
	/* Put the instruction back and run it again, one step first. */
	CHECK(ptrace(PTRACE_POKETEXT, pid, addr, orig) == 0);
	regs.rip = addr;
	CHECK(ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0);
	CHECK(ptrace(PTRACE_SINGLESTEP, pid, 0, 0) == 0);
	st = wait_stop(pid);
	CHECK_EQ(WSTOPSIG(st), SIGTRAP);
	CHECK(ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0);
	CHECK(regs.rip > addr && regs.rip < addr + 16);
	CHECK(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	PASS("software breakpoint and single step");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_syscall_stops();
	test_memory_and_signals();
	test_events();
	test_seize_interrupt();
	test_breakpoint_and_step();
	return 0;
}
