/* procmem: /proc/[pid]/mem reads and writes a process's memory at offsets
 * that are addresses (writes reach read-only pages, as debuggers need);
 * holes answer EIO; /proc/[pid]/auxv is the auxiliary vector the process
 * started with; /proc/self/smaps and smaps_rollup count a mapping's
 * resident, anonymous, private and shared pages. */
#include "test.h"

#include <elf.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>

static volatile uint64_t secret = 0x1122334455667788ull;

static void test_self_mem(void)
{
	int fd = open("/proc/self/mem", O_RDWR);
	CHECK(fd >= 0);
	uint64_t v = 0;
	CHECK_EQ(pread(fd, &v, sizeof v, (off_t)(uintptr_t)&secret), (ssize_t)sizeof v);
	CHECK(v == secret);

	/* A write reaches a read-only private page, which then holds it. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK_EQ(pwrite(fd, "poke", 4, (off_t)(uintptr_t)ro), 4);
	CHECK(memcmp(ro, "poke", 4) == 0);

	/* A hole: EIO. */
	char *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(hole != MAP_FAILED);
	CHECK(munmap(hole, 4096) == 0);
	CHECK_ERRNO(pread(fd, &v, sizeof v, (off_t)(uintptr_t)hole), EIO);
	CHECK(close(fd) == 0);
	PASS("/proc/self/mem reads, writes read-only pages, EIO in holes");
}

static void test_child_mem(void)
{
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		secret = 42;
		CHECK_EQ(write(ready[1], "x", 1), 1);
		pause();
		_exit(0);
	}
	char c;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	uint64_t v = 0;
	CHECK_EQ(pread(fd, &v, sizeof v, (off_t)(uintptr_t)&secret), (ssize_t)sizeof v);
	CHECK_EQ(v, 42);
	CHECK(secret != 42); /* the parent's copy is its own */
	CHECK(close(fd) == 0);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	PASS("/proc/PID/mem of a forked child shows the child's memory");
}

static void test_auxv(void)
{
	int fd = open("/proc/self/auxv", O_RDONLY);
	CHECK(fd >= 0);
	Elf64_auxv_t av[128];
	ssize_t n = read(fd, av, sizeof av);
	CHECK(n > 0 && n % sizeof av[0] == 0);
	CHECK(close(fd) == 0);
	int entries = n / sizeof av[0], found = 0;
	CHECK_EQ(av[entries - 1].a_type, AT_NULL);
	for (int i = 0; i < entries; i++) {
		unsigned long t = av[i].a_type;
		if (t == AT_PAGESZ || t == AT_ENTRY || t == AT_PHDR || t == AT_UID || t == AT_RANDOM) {
			CHECK(av[i].a_un.a_val == getauxval(t));
			found++;
		}
	}
	CHECK_EQ(found, 5);
	PASS("/proc/self/auxv is the vector the process started with");
}

/* smaps_field returns field name of the smaps entry that starts at addr,
 * in kB (-1 if absent). */
static long smaps_field(void *addr, const char *name)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	CHECK(f != NULL);
	char line[512], want[32];
	snprintf(want, sizeof want, "%lx-", (unsigned long)addr);
	int in = 0;
	long val = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof line, f)) {
		/* Entries start with a lowercase hex address, fields with
		 * a capital letter. */
		if ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))
			in = strncmp(line, want, strlen(want)) == 0;
		else if (in && strncmp(line, name, n) == 0 && line[n] == ':')
			val = atol(line + n + 1);
	}
	fclose(f);
	return val;
}

static void test_smaps(void)
{
	char *p = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	/* Neighbours must not merge with it: guard pages around. */
	CHECK(mprotect(p, 4096, PROT_NONE) == 0 && mprotect(p + 7 * 4096, 4096, PROT_NONE) == 0);
	/* Every page touched: the sentry populates anonymous memory a
	 * window at a time, Linux a page at a time. */
	char *r = p + 4096;
	for (int i = 0; i < 6; i++)
		r[i * 4096] = 1;
	CHECK_EQ(smaps_field(r, "Size"), 24);
	CHECK_EQ(smaps_field(r, "Rss"), 24);
	CHECK_EQ(smaps_field(r, "Pss"), 24);
	CHECK_EQ(smaps_field(r, "Anonymous"), 24);
	CHECK_EQ(smaps_field(r, "Private_Dirty"), 24);
	CHECK_EQ(smaps_field(r, "Shared_Dirty"), 0);
	/* With a forked child holding the same pages, they are shared. */
	int ready[2], go[2];
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		CHECK_EQ(write(ready[1], "x", 1), 1);
		CHECK_EQ(read(go[0], &c, 1), 1);
		_exit(0);
	}
	char c;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(smaps_field(r, "Rss"), 24);
	CHECK_EQ(smaps_field(r, "Pss"), 12);
	CHECK_EQ(smaps_field(r, "Shared_Dirty"), 24);
	CHECK_EQ(smaps_field(r, "Private_Dirty"), 0);
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);

	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	CHECK(f != NULL);
	char line[512];
	long rss = -1;
	CHECK(fgets(line, sizeof line, f) != NULL && strstr(line, "[rollup]") != NULL);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Rss: %ld kB", &rss) == 1)
			break;
	fclose(f);
	CHECK(rss >= 24);
	CHECK(munmap(p, 8 * 4096) == 0);
	PASS("/proc/self/smaps and smaps_rollup");
}

int main(void)
{
	test_self_mem();
	test_child_mem();
	test_auxv();
	test_smaps();
	return 0;
}
