/* dev: /dev/null, /dev/zero, /dev/full and /dev/urandom behave as Linux's. */
#include "test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

int main(void)
{
	char buf[4096];
	struct stat st;

	int fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	CHECK_EQ(write(fd, "discard me", 10), 10);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK(close(fd) == 0);
	PASS("null");

	fd = open("/dev/zero", O_RDWR);
	CHECK(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK(buf[i] == 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK(close(fd) == 0);
	PASS("zero");

	fd = open("/dev/full", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_ERRNO(write(fd, "x", 1), ENOSPC);
	CHECK(close(fd) == 0);
	PASS("full");

	fd = open("/dev/urandom", O_RDONLY);
	CHECK(fd >= 0);
	unsigned char r1[64], r2[64];
	CHECK_EQ(read(fd, r1, sizeof(r1)), 64);
	CHECK_EQ(read(fd, r2, sizeof(r2)), 64);
	CHECK(memcmp(r1, r2, sizeof(r1)) != 0);
	int zeros = 0;
	for (size_t i = 0; i < sizeof(r1); i++)
		zeros += r1[i] == 0;
	CHECK(zeros < 16);
	CHECK(close(fd) == 0);
	PASS("urandom");

	CHECK_ERRNO(open("/dev/cocoon-no-such-device", O_RDONLY), ENOENT);
	PASS("missing");
	return 0;
}
