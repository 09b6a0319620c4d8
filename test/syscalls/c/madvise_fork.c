/* madvise_fork: MADV_DONTFORK leaves a range out of a forked child
 * (touching it there is SIGSEGV), MADV_DOFORK undoes it; MADV_WIPEONFORK
 * gives the child the range zeroed while the parent keeps its data,
 * MADV_KEEPONFORK undoes it, and it is EINVAL for shared mappings. The
 * advice covers exactly the range given (the mapping is split). */
#include "test.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* child_reads forks a child that reads p[0] and exits with 0 if the read
 * faulted, else 10 + the byte read (so 10 means it read zero). */
static int child_reads(volatile char *p)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, on_segv);
		if (sigsetjmp(jb, 1) != 0)
			_exit(0);
		_exit(10 + p[0]);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

int main(void)
{
	char *p = anon(3 * 4096);
	p[0] = 1, p[4096] = 2, p[8192] = 3;
	CHECK(madvise(p + 4096, 4096, MADV_DONTFORK) == 0);
	CHECK_EQ(child_reads(p), 11);
	CHECK_EQ(child_reads(p + 4096), 0);
	CHECK_EQ(child_reads(p + 8192), 13);
	CHECK(madvise(p + 4096, 4096, MADV_DOFORK) == 0);
	CHECK_EQ(child_reads(p + 4096), 12);
	PASS("MADV_DONTFORK, MADV_DOFORK");

	CHECK(madvise(p, 4096, MADV_WIPEONFORK) == 0);
	CHECK_EQ(child_reads(p), 10);
	CHECK_EQ(child_reads(p + 4096), 12);
	CHECK_EQ(p[0], 1);
	CHECK(madvise(p, 4096, MADV_KEEPONFORK) == 0);
	CHECK_EQ(child_reads(p), 11);
	char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	CHECK_ERRNO(madvise(sh, 4096, MADV_WIPEONFORK), EINVAL);
	PASS("MADV_WIPEONFORK, MADV_KEEPONFORK");
	return 0;
}
