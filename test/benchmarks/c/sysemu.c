/* sysemu: the floor of ptrace interception: nanoseconds per PTRACE_SYSEMU
 * round trip. A child loops on getppid; the parent resumes it with
 * PTRACE_SYSEMU, waits for the syscall stop, reads the registers, sets the
 * result register and writes them back, as a ptrace platform must for
 * every application system call. */
#include "bench.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void round_trip(void)
{
	struct user_regs_struct regs;
	int status;
	if (ptrace(PTRACE_SYSEMU, child, 0, 0) != 0)
		DIE("PTRACE_SYSEMU");
	if (waitpid(child, &status, __WALL) != child)
		DIE("waitpid");
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		fprintf(stderr, "sysemu: unexpected status %#x\n", status);
		exit(1);
	}
	if (ptrace(PTRACE_GETREGS, child, 0, &regs) != 0)
		DIE("PTRACE_GETREGS");
	if (regs.orig_rax != SYS_getppid) {
		fprintf(stderr, "sysemu: unexpected syscall %llu\n", regs.orig_rax);
		exit(1);
	}
	regs.rax = 1;
	if (ptrace(PTRACE_SETREGS, child, 0, &regs) != 0)
		DIE("PTRACE_SETREGS");
}

int main(int argc, char **argv)
{
	long n = iterations(argc, argv, 20000);
	child = fork();
	if (child < 0)
		DIE("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			DIE("PTRACE_TRACEME");
		raise(SIGSTOP);
		for (;;)
			syscall(SYS_getppid);
	}
	int status;
	if (waitpid(child, &status, __WALL) != child || !WIFSTOPPED(status))
		DIE("waiting for the child to stop");
	if (ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_EXITKILL) != 0)
		DIE("PTRACE_SETOPTIONS");
	MEASURE(n, round_trip());
	kill(child, SIGKILL);
	waitpid(child, &status, __WALL);
	return 0;
}
