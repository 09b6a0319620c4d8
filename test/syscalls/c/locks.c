/* locks: flock(2) and fcntl(2) record locks between processes (conflicts,
 * F_GETLK naming the holder, release on close and on exit, blocking waits
 * woken by an unlock), RLIMIT_FSIZE (short write, EFBIG, SIGXFSZ), FIFO
 * open rules, sendfile, FIONREAD and F_GETPIPE_SZ on pipes. */
#include "test.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>

static char path[] = "/tmp/cocoon-locks-XXXXXX";

/* in_child runs fn in a child and returns its exit status (or 128+sig). */
static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int try_flock_ex(void)
{
	int f = open(path, O_RDWR);
	if (f < 0)
		return 10;
	if (flock(f, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 11;
}

static int try_flock_sh(void)
{
	int f = open(path, O_RDWR);
	if (f < 0)
		return 10;
	if (flock(f, LOCK_SH | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 11;
}

static void flocks(void)
{
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK(flock(fd, LOCK_EX) == 0);
	CHECK_EQ(in_child(try_flock_ex), 1);
	CHECK_EQ(in_child(try_flock_sh), 1);
	/* a lock belongs to the open file description: a dup shares it, a
	 * second open in the same process conflicts */
	int dup_fd = dup(fd);
	CHECK(flock(dup_fd, LOCK_EX | LOCK_NB) == 0);
	int other = open(path, O_RDWR);
	CHECK(other >= 0);
	CHECK_ERRNO(flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* downgrade to shared: other shared locks may join */
	CHECK(flock(fd, LOCK_SH) == 0);
	CHECK_EQ(in_child(try_flock_sh), 0);
	CHECK_EQ(in_child(try_flock_ex), 1);
	CHECK(flock(fd, LOCK_UN) == 0);
	CHECK_EQ(in_child(try_flock_ex), 0);
	/* closing the last descriptor of the description releases it */
	CHECK(flock(fd, LOCK_EX) == 0);
	CHECK(close(fd) == 0);
	CHECK_EQ(in_child(try_flock_ex), 1); /* dup_fd still holds it */
	CHECK(close(dup_fd) == 0);
	CHECK_EQ(in_child(try_flock_ex), 0);
	CHECK_ERRNO(flock(other, 0), EINVAL);
	CHECK_ERRNO(flock(-1, LOCK_EX), EBADF);
	CHECK(close(other) == 0);
}

static void flock_blocks(void)
{
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int f = open(path, O_RDWR);
		flock(f, LOCK_EX);
		write(p[1], "l", 1);
		usleep(200 * 1000);
		_exit(0); /* exiting releases the lock */
	}
	char c;
	read_full(p[0], &c, 1);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(flock(fd, LOCK_EX) == 0); /* blocks until the child exits */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(waited > 0.1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(close(fd) == 0);
}

static int try_setlk(void)
{
	int f = open(path, O_RDWR);
	if (f < 0)
		return 10;
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
	if (fcntl(f, F_SETLK, &l) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return 11;
	struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	if (fcntl(f, F_GETLK, &q) != 0)
		return 12;
	if (q.l_pid != getppid() || q.l_start != 0 || q.l_len != 10)
		return 13;
	return q.l_type == F_WRLCK ? 1 : q.l_type == F_RDLCK ? 2 : 14;
}

static int try_setlk_far(void)
{
	int f = open(path, O_RDWR);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10};
	return fcntl(f, F_SETLK, &l) == 0 ? 0 : 1;
}

static void record_locks(void)
{
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	CHECK(fcntl(fd, F_SETLK, &l) == 0);
	CHECK_EQ(in_child(try_setlk), 1);
	CHECK_EQ(in_child(try_setlk_far), 0); /* no overlap, no conflict */
	/* our own F_GETLK sees no conflict with our own lock */
	struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	CHECK(fcntl(fd, F_GETLK, &q) == 0);
	CHECK_EQ(q.l_type, F_UNLCK);
	/* closing any descriptor of the file drops the process's locks */
	int other = open(path, O_RDONLY);
	CHECK(other >= 0);
	CHECK(close(other) == 0);
	CHECK_EQ(in_child(try_setlk), 0);
	/* read locks share, write locks don't */
	l.l_type = F_RDLCK;
	CHECK(fcntl(fd, F_SETLK, &l) == 0);
	CHECK_EQ(in_child(try_setlk), 2); /* F_GETLK reports the read lock */
	l.l_type = F_UNLCK;
	CHECK(fcntl(fd, F_SETLK, &l) == 0);
	CHECK_EQ(in_child(try_setlk), 0);
	l.l_type = 99;
	CHECK_ERRNO(fcntl(fd, F_SETLK, &l), EINVAL);
	int ro = open(path, O_RDONLY);
	l.l_type = F_WRLCK;
	CHECK_ERRNO(fcntl(ro, F_SETLK, &l), EBADF); /* write lock needs write access */
	CHECK(close(ro) == 0 && close(fd) == 0);
}

static int fsize_short_write(void)
{
	struct rlimit r = {100, 100};
	if (setrlimit(RLIMIT_FSIZE, &r) != 0)
		return 10;
	signal(SIGXFSZ, SIG_IGN);
	int f = open(path, O_RDWR | O_TRUNC);
	char b[200] = {0};
	if (write(f, b, 200) != 100)
		return 11;
	errno = 0;
	if (write(f, b, 10) != -1 || errno != EFBIG)
		return 12;
	if (pwrite(f, b, 1, 99) != 1) /* inside the limit is fine */
		return 13;
	if (ftruncate(f, 101) != -1 || errno != EFBIG)
		return 14;
	return 0;
}

static int fsize_signal(void)
{
	struct rlimit r = {100, 100};
	setrlimit(RLIMIT_FSIZE, &r);
	int f = open(path, O_RDWR | O_TRUNC);
	char b[200] = {0};
	write(f, b, 200); /* short */
	write(f, b, 10);  /* SIGXFSZ */
	return 0;
}

static void fsize(void)
{
	CHECK_EQ(in_child(fsize_short_write), 0);
	CHECK_EQ(in_child(fsize_signal), 128 + SIGXFSZ);
}

static void fifos(void)
{
	char fifo[64];
	snprintf(fifo, sizeof(fifo), "%s.fifo", path);
	CHECK(mkfifo(fifo, 0600) == 0);
	struct stat st;
	CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_ERRNO(open(fifo, O_WRONLY | O_NONBLOCK), ENXIO); /* no reader */
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0);
	CHECK_EQ(write(w, "fifo", 4), 4);
	char buf[8];
	CHECK_EQ(read(r, buf, sizeof(buf)), 4);
	CHECK_ERRNO(read(r, buf, sizeof(buf)), EAGAIN);
	CHECK(close(w) == 0);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0); /* writer gone: EOF */
	CHECK(close(r) == 0);
	/* O_RDWR never blocks */
	int rw = open(fifo, O_RDWR);
	CHECK(rw >= 0);
	CHECK(close(rw) == 0);
	CHECK(unlink(fifo) == 0);
}

static void pipes(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	int n = -1;
	CHECK(ioctl(p[0], FIONREAD, &n) == 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK(ioctl(p[0], FIONREAD, &n) == 0);
	CHECK_EQ(n, 3);
	/* sendfile from a file into the pipe, at an offset */
	int f = open(path, O_RDWR | O_TRUNC);
	CHECK(f >= 0);
	CHECK_EQ(write(f, "sendfile data", 13), 13);
	off_t off = 4;
	CHECK_EQ(sendfile(p[1], f, &off, 100), 9);
	CHECK_EQ(off, 13);
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 13); /* the file offset is untouched */
	char buf[16] = {0};
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 12);
	CHECK(memcmp(buf, "abcfile data", 12) == 0);
	CHECK_EQ(lseek(f, 9, SEEK_SET), 9);
	CHECK_EQ(sendfile(p[1], f, NULL, 3), 3); /* NULL: from and moving the offset */
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 12);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "dat", 3) == 0);
	CHECK(close(f) == 0);
}

int main(void)
{
	int tmp = mkstemp(path);
	CHECK(tmp >= 0);
	CHECK_EQ(write(tmp, "0123456789abcdef", 16), 16);
	CHECK(close(tmp) == 0);
	int fails = 0;
	fails += run_group("flock", flocks, 30);
	fails += run_group("flock-blocks-until-exit", flock_blocks, 30);
	fails += run_group("fcntl-record-locks", record_locks, 30);
	fails += run_group("rlimit-fsize", fsize, 30);
	fails += run_group("fifo-open-rules", fifos, 30);
	fails += run_group("pipe-fionread-sendfile", pipes, 30);
	CHECK(unlink(path) == 0);
	return fails != 0;
}
