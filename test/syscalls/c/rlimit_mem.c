/* rlimit_mem: RLIMIT_AS bounds every mapping (mmap, MAP_FIXED over an old
 * mapping counts only the difference, mremap growth), RLIMIT_DATA bounds
 * brk and private writable mappings but not read-only ones, RLIMIT_STACK
 * bounds stack growth as it is set, and a forked child keeps the limits.
 * Each case runs in a child so the limits do not leak. */
#include "test.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define MiB (1024UL * 1024)

static void set_limit(int res, rlim_t cur)
{
	struct rlimit r;
	CHECK(getrlimit(res, &r) == 0);
	r.rlim_cur = cur;
	CHECK(setrlimit(res, &r) == 0);
}

static void *map(size_t len, int prot, int flags, void *at)
{
	return mmap(at, len, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* vm_size returns VmSize from /proc/self/status, in bytes. */
static unsigned long vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256];
	unsigned long kb = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	CHECK(kb > 0);
	return kb * 1024;
}

static void address_space(void)
{
	set_limit(RLIMIT_AS, vm_size() + 64 * MiB);
	CHECK_ERRNO(map(128 * MiB, PROT_NONE, 0, NULL), ENOMEM);
	char *p = map(32 * MiB, PROT_READ, 0, NULL);
	CHECK(p != MAP_FAILED);
	/* Replacing it in place adds nothing... */
	CHECK(map(32 * MiB, PROT_READ | PROT_WRITE, MAP_FIXED, p) == p);
	/* ...growing it past the limit fails, moving or not. */
	CHECK_ERRNO(mremap(p, 32 * MiB, 128 * MiB, MREMAP_MAYMOVE), ENOMEM);
	CHECK(munmap(p, 32 * MiB) == 0);
	CHECK((p = map(48 * MiB, PROT_READ, 0, NULL)) != MAP_FAILED);
	/* A forked child has the same bound. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(map(64 * MiB, PROT_READ, 0, NULL) == MAP_FAILED && errno == ENOMEM ? 0 : 1);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void data(void)
{
	set_limit(RLIMIT_DATA, 16 * MiB);
	CHECK_ERRNO(map(64 * MiB, PROT_READ | PROT_WRITE, 0, NULL), ENOMEM);
	/* Read-only, shared or stack mappings are not data. */
	char *ro = map(64 * MiB, PROT_READ, 0, NULL);
	CHECK(ro != MAP_FAILED);
	char *sh = mmap(NULL, 64 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	/* The heap is. */
	CHECK(sbrk(64 * MiB) == (void *)-1 && errno == ENOMEM);
	CHECK(sbrk(4096) != (void *)-1);
}

static volatile char *sink;
static int recurse(int depth)
{
	volatile char buf[4096];
	buf[0] = (char)depth;
	sink = buf;
	return depth >= 512 ? 0 : recurse(depth + 1) + buf[0];
}

/* recurse_in_child runs 2 MiB of frames in a child with RLIMIT_STACK at
 * limit and returns its wait status. */
static int recurse_in_child(rlim_t limit)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		set_limit(RLIMIT_STACK, limit);
		recurse(0);
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void stack(void)
{
	int st = recurse_in_child(8 * MiB);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = recurse_in_child(512 * 1024);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
}

int main(void)
{
	int fails = 0;
	fails += run_group("RLIMIT_AS", address_space, 30);
	fails += run_group("RLIMIT_DATA", data, 30);
	fails += run_group("RLIMIT_STACK", stack, 30);
	return fails != 0;
}
