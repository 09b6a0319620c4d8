/* fileio: open/read/write/lseek/pread/pwrite/stat/fstat/unlink/rename/
 * mkdir/getdents64/ftruncate/dup/fcntl on a fresh directory under /tmp. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char dir[] = "/tmp/cocoon-fileio-XXXXXX";

static const char *path(const char *name)
{
	static char buf[2][256];
	static int i;
	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

struct ldirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list returns the sorted names in d (without . and ..), read with raw
 * getdents64 through a small buffer so that several calls are needed. */
static int list(const char *d, char names[][64], int max)
{
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	char buf[128] __attribute__((aligned(8)));
	int n = 0, dots = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		CHECK(r >= 0);
		if (r == 0)
			break;
		for (long off = 0; off < r;) {
			struct ldirent64 *de = (struct ldirent64 *)(buf + off);
			CHECK(de->d_reclen > 0);
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
				CHECK(de->d_type == DT_DIR);
				dots++;
			} else {
				CHECK(n < max);
				size_t len = strlen(de->d_name);
				CHECK(len < 62);
				memcpy(names[n], de->d_name, len);
				strcpy(names[n] + len, de->d_type == DT_DIR ? "/" : "");
				n++;
			}
			off += de->d_reclen;
		}
	}
	CHECK_EQ(dots, 2);
	CHECK(close(fd) == 0);
	char *ptrs[64];
	for (int i = 0; i < n; i++)
		ptrs[i] = names[i];
	qsort(ptrs, n, sizeof(ptrs[0]), cmpstr);
	char sorted[64][64];
	for (int i = 0; i < n; i++)
		strcpy(sorted[i], ptrs[i]);
	memcpy(names, sorted, sizeof(sorted[0]) * n);
	return n;
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);

	/* create, write, read back through a second descriptor */
	int fd = open(path("a"), O_CREAT | O_EXCL | O_RDWR, 0640);
	CHECK(fd >= 0);
	CHECK_ERRNO(open(path("a"), O_CREAT | O_EXCL | O_RDWR, 0640), EEXIST);
	CHECK_EQ(write(fd, "hello, world\n", 13), 13);
	int fd2 = open(path("a"), O_RDONLY);
	CHECK(fd2 >= 0);
	char buf[64] = {0};
	CHECK_EQ(read(fd2, buf, sizeof(buf)), 13);
	CHECK(memcmp(buf, "hello, world\n", 13) == 0);
	CHECK_EQ(read(fd2, buf, sizeof(buf)), 0); /* EOF */
	CHECK_ERRNO(write(fd2, "x", 1), EBADF);   /* read-only */
	PASS("write-read");

	/* lseek */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 13);
	CHECK_EQ(lseek(fd, 7, SEEK_SET), 7);
	CHECK_EQ(write(fd, "there", 5), 5);
	CHECK_EQ(lseek(fd, -3, SEEK_END), 10);
	CHECK_EQ(read(fd, buf, 3), 3);
	CHECK(memcmp(buf, "re\n", 3) == 0);
	CHECK_ERRNO(lseek(fd, -100, SEEK_SET), EINVAL);
	CHECK_EQ(lseek(fd, 20, SEEK_SET), 20); /* hole beyond EOF */
	CHECK_EQ(write(fd, "!", 1), 1);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(pread(fd2, buf, sizeof(buf), 0), 21);
	CHECK(memcmp(buf, "hello, there\n\0\0\0\0\0\0\0!", 21) == 0);
	PASS("lseek");

	/* pread/pwrite do not move the offset */
	CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
	CHECK_EQ(pwrite(fd, "HE", 2, 0), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(memcmp(buf, "HEllo", 5) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(pread(fd, buf, 5, 100), 0);
	CHECK_ERRNO(pread(fd, buf, 5, -1), EINVAL);
	PASS("pread-pwrite");

	/* fstat / stat / ftruncate */
	struct stat st, st2;
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 21);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(st.st_nlink, 1);
	CHECK(stat(path("a"), &st2) == 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK(ftruncate(fd, 5) == 0);
	CHECK(fstat(fd2, &st2) == 0);
	CHECK_EQ(st2.st_size, 5);
	CHECK_ERRNO(stat(path("missing"), &st), ENOENT);
	CHECK_ERRNO(open(path("missing"), O_RDONLY), ENOENT);
	CHECK_ERRNO(open(path("a/b"), O_RDONLY), ENOTDIR);
	PASS("stat");

	/* O_APPEND always writes at the end */
	int fa = open(path("a"), O_WRONLY | O_APPEND);
	CHECK(fa >= 0);
	CHECK_EQ(lseek(fa, 0, SEEK_SET), 0);
	CHECK_EQ(write(fa, "++", 2), 2);
	CHECK_EQ(pread(fd2, buf, sizeof(buf), 0), 7);
	CHECK(memcmp(buf, "HEllo++", 7) == 0);
	CHECK(close(fa) == 0);
	PASS("append");

	/* dup shares the offset; fcntl FD_CLOEXEC */
	int fd3 = dup(fd);
	CHECK(fd3 >= 0);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(lseek(fd3, 0, SEEK_CUR), 1);
	CHECK_EQ(fcntl(fd3, F_GETFD), 0);
	CHECK(fcntl(fd3, F_SETFD, FD_CLOEXEC) == 0);
	CHECK_EQ(fcntl(fd3, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(dup2(fd3, 100), 100);
	CHECK_EQ(fcntl(100, F_GETFD), 0); /* dup2 clears close-on-exec */
	CHECK(close(100) == 0);
	CHECK(close(fd3) == 0);
	CHECK_ERRNO(close(fd3), EBADF);
	CHECK_ERRNO(read(fd3, buf, 1), EBADF);
	PASS("dup-fcntl");

	/* mkdir, rename, unlink, getdents */
	CHECK(mkdir(path("sub"), 0755) == 0);
	CHECK_ERRNO(mkdir(path("sub"), 0755), EEXIST);
	CHECK(stat(path("sub"), &st) == 0);
	CHECK(S_ISDIR(st.st_mode));
	int fb = open(path("sub/b"), O_CREAT | O_WRONLY, 0600);
	CHECK(fb >= 0);
	CHECK_EQ(write(fb, "bee", 3), 3);
	CHECK(close(fb) == 0);
	CHECK(close(open(path("c"), O_CREAT | O_WRONLY, 0600)) == 0);

	char names[64][64];
	int n = list(dir, names, 64);
	CHECK_EQ(n, 3);
	for (int i = 0; i < n; i++)
		printf("ls %s\n", names[i]);

	CHECK(rename(path("sub/b"), path("b2")) == 0);
	CHECK_ERRNO(stat(path("sub/b"), &st), ENOENT);
	CHECK(stat(path("b2"), &st) == 0);
	CHECK_EQ(st.st_size, 3);
	CHECK(rename(path("b2"), path("c")) == 0); /* replaces c */
	int fc = open(path("c"), O_RDONLY);
	CHECK(fc >= 0);
	CHECK_EQ(read(fc, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "bee", 3) == 0);
	CHECK(close(fc) == 0);
	CHECK_ERRNO(rmdir(path("a")), ENOTDIR);
	CHECK_ERRNO(unlink(path("sub")), EISDIR);
	CHECK(close(open(path("sub/x"), O_CREAT | O_WRONLY, 0600)) == 0);
	CHECK_ERRNO(rmdir(path("sub")), ENOTEMPTY);
	CHECK(unlink(path("sub/x")) == 0);
	CHECK_EQ(list(path("sub"), names, 64), 0);
	n = list(dir, names, 64);
	CHECK_EQ(n, 3);
	for (int i = 0; i < n; i++)
		printf("ls %s\n", names[i]);
	PASS("dirs");

	/* an unlinked file stays readable through an open descriptor */
	CHECK(unlink(path("a")) == 0);
	CHECK_ERRNO(unlink(path("a")), ENOENT);
	CHECK_EQ(pread(fd2, buf, 7, 0), 7);
	CHECK(memcmp(buf, "HEllo++", 7) == 0);
	CHECK(fstat(fd2, &st) == 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK(close(fd) == 0);
	CHECK(close(fd2) == 0);
	PASS("unlink-open");

	CHECK(unlink(path("c")) == 0);
	CHECK(rmdir(path("sub")) == 0);
	CHECK(rmdir(dir) == 0);
	CHECK_ERRNO(stat(dir, &st), ENOENT);
	PASS("cleanup");
	return 0;
}
