/* filemap_truncate: ftruncate under a MAP_SHARED mapping: the pages past
 * the new end raise SIGBUS, and growing the file again brings them back
 * zeroed. */
#include "../c/test.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sys/mman.h>

static char path[] = "/tmp/cocoon-filemap-truncate-XXXXXX";
static int fd;

static void setup(void)
{
	fd = open(path, O_RDWR | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 3 * 4096) == 0);
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
	int fails = run_group("sigbus-past-eof", truncated_under_mapping, 30);
	CHECK(unlink(path) == 0);
	return fails != 0;
}
