/* mlock: locks are accounted (VmLck in /proc/self/status), mlock and
 * mlockall answer ENOMEM past RLIMIT_MEMLOCK and EPERM when it is 0 for
 * a process without CAP_IPC_LOCK, munlock and munlockall release,
 * mlockall(MCL_FUTURE) locks new mappings (EAGAIN past the limit), a
 * forked child inherits no lock, and holes are ENOMEM. */
#include "test.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define PG 4096L

static long vmlck_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static char *anon(long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

/* Root keeps CAP_IPC_LOCK: drop to a plain user for the limits. */
static void become_user(rlim_t memlock)
{
	struct rlimit r = {memlock, memlock};
	CHECK(setrlimit(RLIMIT_MEMLOCK, &r) == 0);
	CHECK(setresuid(54321, 54321, 54321) == 0);
}

static void limits(void)
{
	become_user(16 * PG);
	char *p = anon(32 * PG);
	CHECK_EQ(vmlck_kb(), 0);
	CHECK(mlock(p, 8 * PG) == 0);
	CHECK_EQ(vmlck_kb(), 32);
	CHECK(mlock(p, 8 * PG) == 0); /* already locked: nothing more */
	CHECK_ERRNO(mlock(p + 8 * PG, 9 * PG), ENOMEM);
	CHECK(mlock(p + 8 * PG, 8 * PG) == 0);
	CHECK_EQ(vmlck_kb(), 64);
	CHECK(munlock(p, 4 * PG) == 0);
	CHECK_EQ(vmlck_kb(), 48);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(vmlck_kb() == 0 ? 0 : 1);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(munlockall() == 0);
	CHECK_EQ(vmlck_kb(), 0);
	CHECK_ERRNO(mlockall(MCL_CURRENT), ENOMEM); /* far more than 64 KiB mapped */
	CHECK(mlockall(MCL_FUTURE) == 0);
	char *q = anon(4 * PG);
	CHECK_EQ(vmlck_kb(), 16);
	CHECK(mmap(NULL, 16 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EAGAIN);
	CHECK(munlockall() == 0);
	CHECK(munmap(q, 4 * PG) == 0);
	CHECK(munmap(p, 32 * PG) == 0);
	char *hole = anon(PG);
	CHECK(munmap(hole, PG) == 0);
	CHECK_ERRNO(mlock(hole, PG), ENOMEM);
}

static void zero_limit(void)
{
	become_user(0);
	char *p = anon(PG);
	CHECK_ERRNO(mlock(p, PG), EPERM);
	CHECK_ERRNO(mlockall(MCL_CURRENT), EPERM);
}

static void privileged(void)
{
	struct rlimit r = {0, 0};
	CHECK(setrlimit(RLIMIT_MEMLOCK, &r) == 0);
	char *p = anon(64 * PG);
	CHECK(mlock(p, 64 * PG) == 0); /* CAP_IPC_LOCK: no limit */
	CHECK_EQ(vmlck_kb(), 256);
	CHECK_ERRNO(mlockall(0), EINVAL);
	CHECK_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
}

int main(void)
{
	int fails = run_group("RLIMIT_MEMLOCK and VmLck", limits, 30);
	fails += run_group("a zero limit is EPERM", zero_limit, 30);
	fails += run_group("CAP_IPC_LOCK", privileged, 30);
	return fails != 0;
}
