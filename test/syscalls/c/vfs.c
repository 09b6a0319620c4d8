/* vfs: file I/O (readv/writev, pread/pwrite, O_APPEND, truncate), links
 * (symlink, hard link, readlink, ELOOP), rename (over files, into itself,
 * RENAME_NOREPLACE), directories (rmdir, getdents order-free listing, *at
 * calls), dup/fcntl, poll/select on a pipe, umask, chmod, utimensat and
 * statx, all in a fresh directory under /tmp that is removed at the end. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ftw.h>
#include <time.h>

/* list returns the names in dir other than . and .., sorted and joined by
 * spaces, in a static buffer (directory order is file-system specific). */
static const char *list(const char *dir)
{
	static char out[1024];
	char names[32][256];
	int n = 0, dots = 0;
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			CHECK_EQ(e->d_type, DT_DIR);
			dots++;
			continue;
		}
		CHECK(n < 32);
		snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	}
	CHECK_EQ(errno, 0);
	CHECK(closedir(d) == 0);
	CHECK_EQ(dots, 2);
	qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, names[i]);
	}
	return out;
}

static void io(void)
{
	char buf[256];
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	CHECK_ERRNO(open("f", O_RDWR | O_CREAT | O_EXCL, 0640), EEXIST);
	struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	CHECK_EQ(writev(fd, iov, 3), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(pwrite(fd, "X", 1, 1), 1);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6); /* pwrite leaves the offset */
	CHECK_EQ(pread(fd, buf, 10, 0), 6);
	CHECK(memcmp(buf, "aXcdef", 6) == 0);
	CHECK_EQ(pread(fd, buf, 10, 6), 0); /* at EOF */
	CHECK_EQ(pread(fd, buf, 10, 1000), 0); /* past EOF */
	char a[3], b[4];
	struct iovec r[2] = {{a, 3}, {b, 4}};
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(readv(fd, r, 2), 6);
	CHECK(memcmp(a, "aXc", 3) == 0 && memcmp(b, "def", 3) == 0);
	CHECK_EQ(lseek(fd, -2, SEEK_END), 4);
	CHECK_ERRNO(lseek(fd, -100, SEEK_SET), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, 42), EINVAL);
	PASS("readv-writev-pread-pwrite");

	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 6);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_nlink, 1);
	CHECK(ftruncate(fd, 2) == 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 2);
	CHECK(truncate("f", 5) == 0); /* extending reads back as zeros */
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "aX\0\0\0", 5) == 0);
	CHECK(ftruncate(fd, 2) == 0);
	CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
	/* a hole: writing past EOF zero-fills the gap */
	CHECK_EQ(pwrite(fd, "Z", 1, 10), 1);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 11);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 11);
	CHECK(memcmp(buf, "aX\0\0\0\0\0\0\0\0Z", 11) == 0);
	CHECK(ftruncate(fd, 2) == 0);
	PASS("truncate");

	/* O_APPEND writes at the end whatever the offset */
	CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0);
	CHECK(fcntl(fd, F_GETFL) & O_APPEND);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "zz", 2), 2);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, 4);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	CHECK(fcntl(fd, F_SETFL, 0) == 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "aXzz", 4) == 0);
	PASS("append");

	/* O_TRUNC empties; a read-only open refuses writes */
	int ro = open("f", O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERRNO(write(ro, "x", 1), EBADF);
	int wo = open("f", O_WRONLY | O_TRUNC);
	CHECK(wo >= 0);
	CHECK_ERRNO(read(wo, buf, 1), EBADF);
	CHECK(fstat(ro, &st) == 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(wo, "hello", 5), 5);
	CHECK_EQ(read(ro, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK(close(ro) == 0 && close(wo) == 0);
	PASS("trunc-accmode");

	/* dup shares the offset and flags; dup2 and F_DUPFD_CLOEXEC */
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	int d1 = dup(fd);
	CHECK(d1 >= 0);
	CHECK_EQ(lseek(d1, 0, SEEK_CUR), 1);
	CHECK_EQ(read(d1, buf, 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(dup2(fd, 10), 10);
	CHECK_EQ(fcntl(10, F_GETFD), 0);
	CHECK_EQ(dup2(10, 10), 10);
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 20), 20);
	CHECK_EQ(fcntl(20, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_DUPFD, 20), 21); /* lowest free at or above 20 */
	CHECK_EQ(fcntl(21, F_GETFD), 0);
	CHECK(fcntl(21, F_SETFD, FD_CLOEXEC) == 0);
	CHECK_EQ(fcntl(21, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(dup3(fd, 22, O_CLOEXEC), 22);
	CHECK_EQ(fcntl(22, F_GETFD), FD_CLOEXEC);
	CHECK_ERRNO(dup3(fd, fd, 0), EINVAL);
	CHECK_ERRNO(dup2(fd, -1), EBADF);
	CHECK_ERRNO(fcntl(100, F_GETFD), EBADF);
	CHECK_ERRNO(close(100), EBADF);
	for (int i = 20; i <= 22; i++)
		CHECK(close(i) == 0);
	CHECK(close(10) == 0 && close(d1) == 0);
	CHECK_ERRNO(close(10), EBADF);
	int oc = open("f", O_RDONLY | O_CLOEXEC);
	CHECK(oc >= 0);
	CHECK_EQ(fcntl(oc, F_GETFD), FD_CLOEXEC);
	CHECK(close(oc) == 0);
	CHECK(close(fd) == 0);
	PASS("dup-fcntl");
}

static void links(const char *dir)
{
	char buf[256];
	struct stat st;
	CHECK(symlink("f", "l") == 0);
	CHECK_ERRNO(symlink("f", "l"), EEXIST);
	CHECK(lstat("l", &st) == 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, 1);
	CHECK(stat("l", &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(readlink("l", buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], 'f');
	CHECK_EQ(readlink("l", buf, 0) == -1 ? errno : 0, EINVAL);
	CHECK_ERRNO(readlink("f", buf, sizeof(buf)), EINVAL);
	CHECK_ERRNO(readlink("nonexistent", buf, sizeof(buf)), ENOENT);
	/* a dangling link, and links that loop */
	CHECK(symlink("nowhere", "dangling") == 0);
	CHECK_ERRNO(stat("dangling", &st), ENOENT);
	CHECK(lstat("dangling", &st) == 0);
	CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
	CHECK_ERRNO(open("loop1", O_RDONLY), ELOOP);
	CHECK_ERRNO(open("l", O_RDONLY | O_NOFOLLOW), ELOOP);
	int pfd = open("l", O_PATH | O_NOFOLLOW);
	CHECK(pfd >= 0);
	CHECK(fstat(pfd, &st) == 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(close(pfd) == 0);
	/* an absolute link through the test directory */
	char target[PATH_MAX];
	snprintf(target, sizeof(target), "%s/f", dir);
	CHECK(symlink(target, "abs") == 0);
	CHECK(stat("abs", &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(unlink("dangling") == 0 && unlink("loop1") == 0 && unlink("loop2") == 0 && unlink("abs") == 0);
	PASS("symlink");

	struct stat fst;
	CHECK(link("f", "h") == 0);
	CHECK(stat("h", &st) == 0 && stat("f", &fst) == 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_ino, fst.st_ino);
	CHECK_ERRNO(link("f", "h"), EEXIST);
	CHECK_ERRNO(link("nonexistent", "h2"), ENOENT);
	CHECK(mkdir("sub", 0755) == 0);
	CHECK_ERRNO(link("sub", "sublink"), EPERM); /* no hard links to dirs */
	CHECK_ERRNO(mkdir("sub", 0755), EEXIST);
	CHECK_ERRNO(mkdir("nonexistent/sub", 0755), ENOENT);
	CHECK_ERRNO(mkdir("f/sub", 0755), ENOTDIR);
	PASS("hardlink-mkdir");
}

static void renames(void)
{
	struct stat st, before;
	CHECK(stat("h", &before) == 0);
	CHECK(rename("h", "sub/h2") == 0);
	CHECK(access("sub/h2", R_OK) == 0);
	CHECK_ERRNO(access("h", F_OK), ENOENT);
	CHECK(stat("sub/h2", &st) == 0);
	CHECK_EQ(st.st_ino, before.st_ino);
	/* over an existing file: the target is replaced atomically */
	int fd = open("other", O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "other", 5), 5);
	CHECK(close(fd) == 0);
	CHECK(rename("other", "sub/h2") == 0);
	CHECK(stat("sub/h2", &st) == 0);
	CHECK_EQ(st.st_size, 5);
	CHECK(stat("f", &st) == 0);
	CHECK_EQ(st.st_nlink, 1); /* the replaced name was f's second link */
	/* renaming to itself is a no-op */
	CHECK(rename("sub/h2", "sub/h2") == 0);
	CHECK(stat("sub/h2", &st) == 0);
	/* directory rules */
	CHECK(mkdir("sub/inner", 0755) == 0);
	CHECK_ERRNO(rename("sub", "sub/inner/x"), EINVAL); /* into itself */
	CHECK_ERRNO(rename("sub/h2", "sub/inner"), EISDIR);
	CHECK_ERRNO(rename("sub/h2", "sub/inner/"), ENOTDIR);
	CHECK_ERRNO(rename("sub/inner", "sub/h2"), ENOTDIR);
	CHECK_ERRNO(rename("nonexistent", "x"), ENOENT);
	CHECK(mkdir("empty", 0755) == 0);
	CHECK(rename("empty", "sub/inner") == 0); /* over an empty dir */
	CHECK_ERRNO(access("empty", F_OK), ENOENT);
	CHECK(mkdir("full", 0755) == 0);
	CHECK(mknod("full/x", S_IFREG | 0600, 0) == 0);
	CHECK_ERRNO(rename("sub/inner", "full"), ENOTEMPTY);
	CHECK(unlink("full/x") == 0 && rmdir("full") == 0);
	/* renameat2 RENAME_NOREPLACE */
	CHECK(symlink("x", "sub/a") == 0);
	CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, "sub/a", AT_FDCWD, "sub/h2", 1 /* RENAME_NOREPLACE */), EEXIST);
	CHECK(syscall(SYS_renameat2, AT_FDCWD, "sub/a", AT_FDCWD, "sub/b", 1) == 0);
	CHECK(strcmp(list("sub"), "b h2 inner") == 0);
	PASS("rename");

	CHECK_ERRNO(rmdir("sub"), ENOTEMPTY);
	CHECK_ERRNO(rmdir("f"), ENOTDIR);
	CHECK_ERRNO(unlink("sub"), EISDIR);
	CHECK_ERRNO(rmdir("sub/."), EINVAL);
	CHECK(unlink("sub/h2") == 0 && unlink("sub/b") == 0);
	CHECK_ERRNO(unlink("sub/h2"), ENOENT);
	CHECK(rmdir("sub/inner") == 0 && rmdir("sub") == 0);
	CHECK_ERRNO(open("f/", O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO(open("nonexistent", O_RDONLY), ENOENT);
	CHECK_ERRNO(open(".", O_WRONLY), EISDIR);
	CHECK_ERRNO(open("", O_RDONLY), ENOENT);
	PASS("rmdir-unlink");
}

static void dirs(const char *dir)
{
	char buf[PATH_MAX];
	struct stat st;
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(strcmp(buf, dir) == 0);
	CHECK(strcmp(list("."), "f l") == 0);
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK(fstatat(dfd, "l", &st, 0) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(fstatat(dfd, "", &st, AT_EMPTY_PATH) == 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK(mkdirat(dfd, "d", 0700) == 0);
	int fd = openat(dfd, "d/g", O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
	int sub = open("d", O_RDONLY | O_DIRECTORY);
	CHECK(sub >= 0);
	CHECK(faccessat(sub, "g", W_OK, 0) == 0);
	CHECK(fchdir(sub) == 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(strncmp(buf, dir, strlen(dir)) == 0 && strcmp(buf + strlen(dir), "/d") == 0);
	CHECK(chdir("..") == 0);
	CHECK(linkat(sub, "g", dfd, "g2", 0) == 0);
	CHECK(renameat(dfd, "g2", sub, "g3") == 0);
	CHECK(strcmp(list("d"), "g g3") == 0);
	CHECK(unlinkat(sub, "g", 0) == 0 && unlinkat(sub, "g3", 0) == 0);
	CHECK_ERRNO(unlinkat(dfd, "d", 0), EISDIR);
	CHECK(unlinkat(dfd, "d", AT_REMOVEDIR) == 0);
	/* a removed directory stays usable as cwd, but is empty for good */
	CHECK(fchdir(sub) == 0);
	errno = 0;
	CHECK(getcwd(buf, sizeof(buf)) == NULL && errno == ENOENT);
	CHECK_ERRNO(open("new", O_CREAT | O_WRONLY, 0600), ENOENT);
	CHECK(stat(".", &st) == 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK(chdir(dir) == 0);
	CHECK(close(sub) == 0 && close(dfd) == 0);
	PASS("at-calls");
}

static void polls(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	CHECK_EQ(poll(pf, 2, 0), 1);
	CHECK_EQ(pf[1].revents, POLLOUT);
	CHECK_EQ(pf[0].revents, 0);
	CHECK_EQ(poll(pf, 1, 50), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll(pf, 1, -1), 1);
	CHECK_EQ(pf[0].revents, POLLIN);
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = {1, 0};
	CHECK_EQ(select(p[0] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(p[0], &rs));
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	FD_ZERO(&ws);
	FD_SET(p[1], &ws);
	tv.tv_sec = 0;
	tv.tv_usec = 20000;
	int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
	CHECK_EQ(select(nfds, &rs, &ws, NULL, &tv), 1);
	CHECK(!FD_ISSET(p[0], &rs) && FD_ISSET(p[1], &ws));
	/* a negative fd is ignored; a closed fd gives POLLNVAL */
	struct pollfd odd[2] = {{-1, POLLIN, 0}, {100, POLLIN, 0}};
	CHECK_EQ(poll(odd, 2, 0), 1);
	CHECK_EQ(odd[0].revents, 0);
	CHECK_EQ(odd[1].revents, POLLNVAL);
	/* the write end closed: POLLHUP on the read end */
	CHECK(close(p[1]) == 0);
	pf[0].revents = 0;
	CHECK_EQ(poll(pf, 1, 0), 1);
	CHECK_EQ(pf[0].revents, POLLHUP);
	CHECK(close(p[0]) == 0);
	/* select on a closed fd */
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_ERRNO(select(p[0] + 1, &rs, NULL, NULL, &tv), EBADF);
	/* a directory is always ready, for writing too (no poll method:
	   DEFAULT_POLLMASK), and read(2) on it answers EISDIR */
	const char *dirs[] = {".", "/proc"};
	for (int i = 0; i < 2; i++) {
		int d = open(dirs[i], O_RDONLY | O_DIRECTORY);
		CHECK(d >= 0);
		struct pollfd dp = {d, POLLIN | POLLOUT, 0};
		CHECK_EQ(poll(&dp, 1, 0), 1);
		CHECK_EQ(dp.revents, POLLIN | POLLOUT);
		CHECK_ERRNO(read(d, &c, 1), EISDIR);
		CHECK(close(d) == 0);
	}
	PASS("poll-select");
}

static void modes(void)
{
	struct stat st;
	umask(022);
	CHECK_EQ(umask(077), 022);
	int fd = open("m", O_CREAT | O_WRONLY, 0666);
	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK(mkdir("md", 0777) == 0);
	CHECK(stat("md", &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0700);
	CHECK(rmdir("md") == 0);
	CHECK_EQ(umask(022), 077);
	CHECK(chmod("m", 0755) == 0);
	CHECK(stat("m", &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0755);
	CHECK(fchmod(fd, 04711) == 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_mode & 07777, 04711);
	CHECK(fchmod(fd, 0644) == 0);
	PASS("umask-chmod");

	/* fixed times through utimensat, read back by stat and statx */
	struct timespec ts[2] = {{1000000000, 5}, {1234567890, 123456789}};
	CHECK(utimensat(AT_FDCWD, "m", ts, 0) == 0);
	CHECK(stat("m", &st) == 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 1234567890);
	CHECK_EQ(st.st_mtim.tv_nsec, 123456789);
	struct timespec omit[2] = {{0, UTIME_OMIT}, {7, 0}};
	CHECK(futimens(fd, omit) == 0);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 7);
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK(fstat(fd, &st) == 0);
	CHECK(st.st_mtim.tv_sec > 7); /* a write updates mtime */
	PASS("utimes");

	struct statx sx;
	CHECK(statx(AT_FDCWD, "m", 0, STATX_BASIC_STATS, &sx) == 0);
	CHECK_EQ(sx.stx_mode & 07777, 0644);
	CHECK(S_ISREG(sx.stx_mode));
	CHECK_EQ(sx.stx_size, 3);
	CHECK_EQ(sx.stx_nlink, 1);
	CHECK_EQ(sx.stx_uid, getuid());
	CHECK_EQ(sx.stx_gid, getgid());
	CHECK((sx.stx_mask & (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_NLINK)) == (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_NLINK));
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(sx.stx_ino, st.st_ino);
	CHECK(statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0);
	CHECK(S_ISLNK(sx.stx_mode));
	CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx) == 0);
	CHECK_EQ(sx.stx_size, 3);
	CHECK_ERRNO(statx(AT_FDCWD, "m", 0, 0x80000000u /* STATX__RESERVED */, &sx), EINVAL);
	CHECK_ERRNO(statx(AT_FDCWD, "nonexistent", 0, STATX_BASIC_STATS, &sx), ENOENT);
	CHECK(close(fd) == 0);
	PASS("statx");

	int null = open("/dev/null", O_WRONLY);
	CHECK(null >= 0);
	CHECK_EQ(write(null, "x", 1), 1);
	CHECK(close(null) == 0);
	PASS("dev-null");
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* many: a directory of 300 long names read through getdents64 with a small
 * buffer, rewound, and a 1 MiB file written and read back in odd chunks. */
static void many(void)
{
	char name[256], buf[512];
	CHECK(mkdir("many", 0755) == 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/%03d-%0100d", i, i);
		int fd = open(name, O_CREAT | O_WRONLY | O_EXCL, 0600);
		CHECK(fd >= 0);
		CHECK(close(fd) == 0);
	}
	int dfd = open("many", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_ERRNO(read(dfd, buf, sizeof(buf)), EISDIR);
	CHECK_ERRNO(syscall(SYS_getdents64, dfd, buf, 8), EINVAL);
	for (int pass = 0; pass < 2; pass++) {
		static char seen[300];
		memset(seen, 0, sizeof(seen));
		int total = 0, calls = 0;
		long n;
		while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
			calls++;
			for (long off = 0; off < n;) {
				struct linux_dirent64 *d = (void *)(buf + off);
				CHECK(d->d_reclen > 0 && off + d->d_reclen <= n);
				CHECK_EQ(d->d_reclen % 8, 0);
				off += d->d_reclen;
				if (d->d_name[0] == '.')
					continue;
				CHECK_EQ(strlen(d->d_name), 104);
				CHECK_EQ(d->d_type, DT_REG);
				int i = atoi(d->d_name);
				CHECK(i >= 0 && i < 300 && !seen[i]);
				seen[i] = 1;
				total++;
			}
		}
		CHECK_EQ(n, 0);
		CHECK_EQ(total, 300);
		CHECK(calls > 10);
		CHECK_EQ(lseek(dfd, 0, SEEK_SET), 0);
	}
	CHECK(close(dfd) == 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/%03d-%0100d", i, i);
		CHECK(unlink(name) == 0);
	}
	CHECK(rmdir("many") == 0);
	PASS("getdents-many");

	enum { SIZE = 1 << 20 };
	unsigned char *big = malloc(SIZE), *back = malloc(SIZE);
	CHECK(big != NULL && back != NULL);
	for (int i = 0; i < SIZE; i++)
		big[i] = (unsigned char)(i * 7 + i / 4096);
	int fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0);
	write_all(fd, big, SIZE);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	size_t got = 0;
	while (got < SIZE) {
		size_t want = 4093;
		if (want > SIZE - got)
			want = SIZE - got;
		ssize_t r = read(fd, back + got, want);
		CHECK(r > 0);
		got += (size_t)r;
	}
	CHECK(memcmp(big, back, SIZE) == 0);
	CHECK_EQ(read(fd, back, 1), 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_size, SIZE);
	CHECK(close(fd) == 0);
	CHECK(unlink("big") == 0);
	free(big);
	free(back);
	PASS("big-file");

	/* O_CREAT follows a dangling link; O_EXCL does not */
	CHECK(symlink("target", "dl") == 0);
	CHECK_ERRNO(open("dl", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST);
	fd = open("dl", O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
	CHECK(stat("target", &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(unlink("dl") == 0 && unlink("target") == 0);
	/* an unlinked open file stays readable */
	fd = open("gone", O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0);
	CHECK(unlink("gone") == 0);
	CHECK_EQ(write(fd, "still", 5), 5);
	CHECK(fstat(fd, &st) == 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK(close(fd) == 0);
	PASS("unlinked-open");
}

int main(void)
{
	char dir[] = "/tmp/cocoon-vfs-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct stat st;
	CHECK(stat(dir, &st) == 0);
	CHECK_EQ(st.st_mode & 07777, 0700);

	/* The checks run in a child, so that the directory is removed even
	 * when one of them fails. */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(chdir(dir) == 0);
		io();
		links(dir);
		renames();
		dirs(dir);
		polls();
		modes();
		many();
		CHECK(unlink("f") == 0 && unlink("l") == 0 && unlink("m") == 0);
		CHECK(strcmp(list("."), "") == 0);
		fflush(stdout);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (status != 0)
		rm_tree(dir);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(rmdir(dir) == 0);
	CHECK_ERRNO(stat(dir, &st), ENOENT);
	PASS("cleanup");
	return 0;
}
