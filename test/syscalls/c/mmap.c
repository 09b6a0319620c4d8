/* mmap: anonymous and file-backed mappings, faults on PROT_NONE and
 * unmapped memory (caught by a SIGSEGV handler that checks si_addr and
 * si_code), mprotect, MAP_FIXED, MAP_SHARED across fork, copy-on-write. */
#include "test.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code, fault_signo;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_signo = si->si_signo;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

/* faults reports whether touching p (a write if write is set) raises
 * SIGSEGV at exactly p, and with which si_code. */
static int faults(volatile char *p, int write, int *code)
{
	fault_addr = NULL;
	fault_code = 0;
	fault_signo = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		return 0;
	}
	CHECK_EQ(fault_signo, SIGSEGV);
	CHECK(fault_addr == (void *)p);
	*code = fault_code;
	return 1;
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	CHECK_EQ(pg, 4096);
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
	int code;

	/* anonymous private: zero-filled, read-write, page aligned */
	size_t len = 16 * pg;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED);
	CHECK_EQ((uintptr_t)a % pg, 0);
	for (size_t i = 0; i < len; i++)
		CHECK(a[i] == 0);
	for (size_t i = 0; i < len; i++)
		a[i] = (char)(i % 251);
	for (size_t i = 0; i < len; i++)
		CHECK(a[i] == (char)(i % 251));
	PASS("anon-rw");

	/* PROT_NONE faults on read and write */
	char *n = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(n != MAP_FAILED);
	CHECK(faults(n + 10, 0, &code));
	CHECK_EQ(code, SEGV_ACCERR);
	CHECK(faults(n + 20, 1, &code));
	CHECK_EQ(code, SEGV_ACCERR);
	PASS("prot-none-faults");

	/* mprotect: read-only rejects writes but keeps content; back to rw */
	CHECK(mprotect(a + pg, pg, PROT_READ) == 0);
	CHECK(!faults(a + pg + 5, 0, &code));
	CHECK(faults(a + pg + 5, 1, &code));
	CHECK_EQ(code, SEGV_ACCERR);
	CHECK(a[pg + 5] == (char)((pg + 5) % 251));
	CHECK(!faults(a + 2 * pg, 1, &code)); /* the next page is untouched */
	CHECK(mprotect(a + pg, pg, PROT_READ | PROT_WRITE) == 0);
	CHECK(!faults(a + pg + 5, 1, &code));
	CHECK_ERRNO(mprotect(a + 1, pg, PROT_READ), EINVAL);
	CHECK(mprotect(n, pg, PROT_READ) == 0);
	CHECK(!faults(n, 0, &code));
	CHECK(n[0] == 0);
	PASS("mprotect");

	/* munmap: the range faults afterwards, with SEGV_MAPERR */
	CHECK(munmap(a + 4 * pg, 2 * pg) == 0);
	CHECK(faults(a + 4 * pg, 0, &code));
	CHECK_EQ(code, SEGV_MAPERR);
	CHECK(faults(a + 6 * pg - 1, 1, &code));
	CHECK_EQ(code, SEGV_MAPERR);
	CHECK(a[6 * pg] == (char)((6 * pg) % 251)); /* neighbours intact */
	CHECK(a[4 * pg - 1] == (char)((4 * pg - 1) % 251));
	CHECK(munmap(a + 4 * pg, 2 * pg) == 0); /* unmapping a hole is fine */
	CHECK_ERRNO(munmap(a + 1, pg), EINVAL);
	CHECK(munmap(n, pg) == 0);
	CHECK(faults(n, 0, &code));
	PASS("munmap");

	/* MAP_FIXED replaces part of an existing mapping */
	char *f = mmap(a + 8 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(f == a + 8 * pg);
	CHECK(f[0] == 0 && f[pg - 1] == 0);
	CHECK(a[9 * pg] == (char)((9 * pg) % 251));
	CHECK(mmap(a + 4 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a + 4 * pg);
	CHECK(!faults(a + 4 * pg, 0, &code));
	CHECK(faults(a + 4 * pg, 1, &code));
	CHECK_EQ(code, SEGV_ACCERR);
	CHECK(mmap(a + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(munmap(a, len) == 0);
	PASS("map-fixed");

	/* invalid arguments */
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED);
	CHECK_EQ(errno, EBADF);
	PASS("einval");

	/* file-backed MAP_PRIVATE: file content; writes stay private */
	char path[] = "/tmp/cocoon-mmap-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(unlink(path) == 0);
	char *content = malloc(3 * pg);
	CHECK(content != NULL);
	for (long i = 0; i < 3 * pg; i++)
		content[i] = (char)('A' + i % 26);
	write_all(fd, content, 3 * pg);
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, content + pg, 2 * pg) == 0);
	m[0] = '#';
	char c;
	CHECK_EQ(pread(fd, &c, 1, pg), 1);
	CHECK_EQ(c, 'A' + pg % 26);
	CHECK(munmap(m, 2 * pg) == 0);
	/* read-only file mapping: writes fault */
	m = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, content, pg) == 0);
	CHECK(faults(m, 1, &code));
	CHECK_EQ(code, SEGV_ACCERR);
	CHECK(munmap(m, pg) == 0);
	CHECK(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(close(fd) == 0);
	PASS("file-private");

	/* MAP_SHARED anonymous memory is shared with a forked child;
	 * MAP_PRIVATE memory is copied on write */
	volatile int *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	volatile int *pr = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pr != MAP_FAILED);
	sh[0] = 1;
	pr[0] = 1;
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (sh[0] != 1 || pr[0] != 1)
			_exit(2);
		sh[0] = 2;
		sh[100] = 0x1234;
		pr[0] = 2;
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(sh[0], 2);
	CHECK_EQ(sh[100], 0x1234);
	CHECK_EQ(pr[0], 1);
	PASS("shared-across-fork");

	/* a child's wild write dies with SIGSEGV, seen by the parent */
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore); /* no core file in the cwd */
		signal(SIGSEGV, SIG_DFL);
		volatile int *volatile bad = (volatile int *)16;
		*bad = 1;
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSEGV);
	PASS("segv-kills");
	return 0;
}
