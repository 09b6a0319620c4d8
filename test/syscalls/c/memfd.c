/* memfd: flags and name checks, the /proc/self/fd name, fstat, data
 * through read, write, mmap and a reopen through /proc, and every seal
 * with its EPERM rules on write, truncate, fallocate and shared mappings;
 * seals on files that are not memfds. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int memfd(const char *name, unsigned flags) { return (int)syscall(SYS_memfd_create, name, flags); }

static void create(void)
{
	char name[300];
	memset(name, 'n', sizeof(name));
	name[249] = 0;
	int fd = memfd(name, 0); /* 249 bytes: the longest */
	CHECK(fd >= 0);
	close(fd);
	name[249] = 'n';
	name[250] = 0;
	CHECK_ERRNO(memfd(name, 0), EINVAL);
	CHECK_ERRNO(memfd((void *)8, 0), EFAULT);
	CHECK_ERRNO(memfd("x", 0x100), EINVAL);
	CHECK_ERRNO(memfd("x", 0x8 | 0x10 /* MFD_NOEXEC_SEAL|MFD_EXEC */), EINVAL);

	fd = memfd("hello world", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	char path[64], link[300];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = 0;
	printf("link %s\n", link);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
	CHECK_EQ(st.st_uid, geteuid());
	close(fd);
	/* the empty name is a name */
	fd = memfd("", 0);
	CHECK(fd >= 0);
	close(fd);
}

static void data(void)
{
	int fd = memfd("data", 0);
	CHECK(fd >= 0);
	write_all(fd, "hello", 5);
	CHECK(ftruncate(fd, 8192) == 0);
	char buf[8];
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	char *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(memcmp(p, "hello", 5) == 0);
	CHECK_EQ(p[8191], 0);
	munmap(p, 8192);
	/* opened again through /proc: the same file */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int fd2 = open(path, O_RDWR);
	CHECK(fd2 >= 0);
	CHECK_EQ(pwrite(fd2, "J", 1, 0), 1);
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(memcmp(buf, "Jello", 5) == 0);
	struct stat a, b;
	CHECK(fstat(fd, &a) == 0 && fstat(fd2, &b) == 0);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	/* always ready, as any regular file */
	struct pollfd pf = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(pf.revents, POLLIN | POLLOUT);
	/* shared with a child */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK_EQ(pwrite(fd, "Y", 1, 0), 1);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(pread(fd2, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'Y');
	close(fd2);
	close(fd);
}

static void seals(void)
{
	/* without MFD_ALLOW_SEALING the file is sealed against sealing */
	int fd = memfd("nos", 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);

	fd = memfd("s", MFD_ALLOW_SEALING);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL);
	write_all(fd, "0123456789", 10);

	/* shrink */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	CHECK_ERRNO(ftruncate(fd, 5), EPERM);
	CHECK(ftruncate(fd, 10) == 0); /* same size */
	CHECK(ftruncate(fd, 20) == 0); /* growing is fine */
	CHECK_ERRNO(ftruncate(fd, 10), EPERM);

	/* grow */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0);
	CHECK_ERRNO(ftruncate(fd, 21), EPERM);
	CHECK_ERRNO(pwrite(fd, "x", 1, 20), EPERM);
	CHECK_EQ(pwrite(fd, "x", 1, 19), 1); /* inside is fine */
	CHECK_ERRNO(fallocate(fd, 0, 0, 4096), EPERM);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);

	/* write: writes and shared writable maps refused, reads fine */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
	CHECK_ERRNO(pwrite(fd, "x", 1, 0), EPERM);
	CHECK_ERRNO(write(fd, "x", 1), EPERM);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(p[0], '0');
	CHECK_ERRNO(mprotect(p, 4096, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED); /* a private copy may be written */
	p[0] = 'z';
	munmap(p, 4096);
	char c;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, '0');

	/* seal: no more seals */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);

	/* seals belong to the file: a reopen through /proc sees them, and a
	 * read-only description may not add them */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int ro = open(path, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(fcntl(ro, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
	close(ro);
	close(fd);

	fd = memfd("ro", MFD_ALLOW_SEALING);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY);
	CHECK_ERRNO(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	close(ro);

	/* future write: like write for write(2) and new shared writable maps */
	write_all(fd, "abc", 3);
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0);
	CHECK_ERRNO(write(fd, "x", 1), EPERM);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	CHECK(ftruncate(fd, 4096) == 0); /* sizes may still change */
	close(fd);
}

static void not_memfd(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK_ERRNO(fcntl(p[0], F_GET_SEALS), EINVAL);
	CHECK_ERRNO(fcntl(p[1], F_ADD_SEALS, F_SEAL_SEAL), EINVAL);
	int null = open("/dev/null", O_RDWR);
	CHECK_ERRNO(fcntl(null, F_GET_SEALS), EINVAL);
	close(null);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	int fails = 0;
	create();
	fails += run_group("data", data, 10);
	fails += run_group("seals", seals, 10);
	fails += run_group("not-memfd", not_memfd, 10);
	return fails != 0;
}
