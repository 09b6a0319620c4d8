/* filemap: MAP_SHARED file mappings are the file: stores through one reach
 * read(), other mappings and other processes, and the file after munmap;
 * write() shows through existing shared mappings; msync; a MAP_PRIVATE
 * mapping sees the file until it writes a page, and its stores never reach
 * the file; ftruncate under a mapping gives SIGBUS past the end; a shared
 * futex in it works between processes that mapped it each on their own. */
#include "test.h"

#include <fcntl.h>
#include <setjmp.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char path[] = "/tmp/cocoon-filemap-XXXXXX";
static int fd;

static void setup(void)
{
	fd = open(path, O_RDWR | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 3 * 4096) == 0);
}

static void shared_to_file(void)
{
	setup();
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	memcpy(m + 4096 + 7, "mapped", 6);
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 6, 4096 + 7), 6);
	CHECK(memcmp(buf, "mapped", 6) == 0);
	/* and through a new descriptor */
	int fd2 = open(path, O_RDONLY);
	CHECK(fd2 >= 0);
	CHECK_EQ(pread(fd2, buf, 6, 4096 + 7), 6);
	CHECK(memcmp(buf, "mapped", 6) == 0);
	CHECK(msync(m, 3 * 4096, MS_SYNC) == 0);
	CHECK(munmap(m, 3 * 4096) == 0);
	CHECK_EQ(pread(fd2, buf, 6, 4096 + 7), 6);
	CHECK(memcmp(buf, "mapped", 6) == 0);
	CHECK(close(fd2) == 0);
}

static void file_to_shared(void)
{
	setup();
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(m[100], 0); /* the page is populated before the write */
	CHECK_EQ(pwrite(fd, "written", 7, 100), 7);
	CHECK(memcmp(m + 100, "written", 7) == 0);
	CHECK_EQ(pwrite(fd, "later", 5, 2 * 4096), 5); /* a page not touched yet */
	CHECK(memcmp(m + 2 * 4096, "later", 5) == 0);
	CHECK(munmap(m, 3 * 4096) == 0);
}

static void two_mappings(void)
{
	setup();
	char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	char *b = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	CHECK_EQ(b[4096 + 5], 0);
	a[5] = 'Z';
	CHECK_EQ(b[4096 + 5], 'Z');
	/* a read-only descriptor's shared mapping sees the same */
	int ro = open(path, O_RDONLY);
	CHECK(ro >= 0);
	char *c = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 4096);
	CHECK(c != MAP_FAILED);
	CHECK_EQ(c[5], 'Z');
	a[6] = 'Y';
	CHECK_EQ(c[6], 'Y');
	CHECK(munmap(a, 4096) == 0 && munmap(b, 2 * 4096) == 0 && munmap(c, 4096) == 0);
	CHECK(close(ro) == 0);
}

static void across_processes(void)
{
	setup();
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	/* a child that maps the file itself (not an inherited mapping) */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int f = open(path, O_RDWR);
		char *own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (f < 0 || own == MAP_FAILED)
			_exit(2);
		own[42] = 'K';
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(m[42], 'K');
	char c;
	CHECK_EQ(pread(fd, &c, 1, 42), 1);
	CHECK_EQ(c, 'K');
	CHECK(munmap(m, 4096) == 0);
}

/* A shared futex in a file that two processes opened and mapped each on
 * their own (as POSIX semaphores in /dev/shm are): a wake from one
 * reaches the waiter in the other. */
static void futex_across_processes(void)
{
	setup();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int f = open(path, O_RDWR);
		_Atomic int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		if (f < 0 || w == MAP_FAILED)
			_exit(2);
		atomic_store(&w[1], 1); /* ready */
		while (atomic_load(&w[0]) == 0)
			syscall(SYS_futex, &w[0], FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(atomic_load(&w[0]) == 7 ? 0 : 3);
	}
	int f = open(path, O_RDWR);
	CHECK(f >= 0);
	_Atomic int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	CHECK(w != MAP_FAILED);
	while (atomic_load(&w[1]) == 0)
		usleep(1000);
	usleep(20000); /* let the child sleep in FUTEX_WAIT */
	atomic_store(&w[0], 7);
	int woken = 0;
	for (int i = 0; i < 1000 && woken == 0; i++) {
		woken = syscall(SYS_futex, &w[0], FUTEX_WAKE, 1, NULL, NULL, 0);
		if (woken == 0)
			usleep(1000);
	}
	CHECK_EQ(woken, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(munmap((void *)w, 4096) == 0);
	close(f);
}

static void private_mapping(void)
{
	setup();
	CHECK_EQ(pwrite(fd, "abcd", 4, 0), 4);
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(memcmp(p, "abcd", 4) == 0);
	p[0] = 'P'; /* page 0 is now the mapping's own */
	char c;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
	CHECK_EQ(pwrite(fd, "x", 1, 1), 1);
	CHECK_EQ(p[1], 'b'); /* copied before the write: unchanged */
	CHECK(munmap(p, 2 * 4096) == 0);
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
}

static sigjmp_buf jb;
static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static void truncated_under_mapping(void)
{
	setup();
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	m[2 * 4096] = 'e';
	CHECK(ftruncate(fd, 4096) == 0);
	struct sigaction sa = {0};
	sa.sa_handler = on_bus;
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	volatile int bus = 0;
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)(m + 2 * 4096);
	else
		bus = 1;
	CHECK_EQ(bus, 1);
	/* growing the file again brings the page back, zeroed */
	CHECK(ftruncate(fd, 3 * 4096) == 0);
	CHECK_EQ(m[2 * 4096], 0);
	CHECK(munmap(m, 3 * 4096) == 0);
}

int main(void)
{
	int tmp = mkstemp(path);
	CHECK(tmp >= 0);
	CHECK(close(tmp) == 0);
	int fails = 0;
	fails += run_group("shared-store-reaches-file", shared_to_file, 30);
	fails += run_group("write-shows-in-shared-mapping", file_to_shared, 30);
	fails += run_group("two-shared-mappings", two_mappings, 30);
	fails += run_group("shared-across-processes", across_processes, 30);
	fails += run_group("futex-across-processes", futex_across_processes, 30);
	fails += run_group("private-mapping", private_mapping, 30);
	fails += run_group("sigbus-past-eof", truncated_under_mapping, 30);
	CHECK(unlink(path) == 0);
	return fails != 0;
}
