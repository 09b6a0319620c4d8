/* eventfd: counter and semaphore reads, EAGAIN, EINVAL for short buffers,
 * bad flags and the value 0xffffffffffffffff, the counter's ceiling,
 * blocking reads and writes across processes and their interruption by
 * signals (restarted with SA_RESTART), and poll/select/epoll readiness. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static uint64_t rd(int fd)
{
	uint64_t v;
	CHECK_EQ(read(fd, &v, 8), 8);
	return v;
}

static void wr(int fd, uint64_t v) { CHECK_EQ(write(fd, &v, 8), 8); }

/* ready returns fd's revents from poll for POLLIN|POLLOUT, and checks
 * that select and epoll agree. */
static int ready(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK(poll(&pf, 1, 0) >= 0);
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fd, &rs);
	FD_SET(fd, &ws);
	struct timeval tv = {0, 0};
	CHECK(select(fd + 1, &rs, &ws, NULL, &tv) >= 0);
	CHECK_EQ(!!FD_ISSET(fd, &rs), !!(pf.revents & POLLIN));
	CHECK_EQ(!!FD_ISSET(fd, &ws), !!(pf.revents & POLLOUT));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	int n = epoll_wait(ep, &ev, 1, 0);
	CHECK(n >= 0);
	CHECK_EQ(n ? ev.events : 0, pf.revents);
	close(ep);
	return pf.revents;
}

static void counter(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	CHECK_EQ(ready(fd), POLLOUT);
	wr(fd, 3);
	wr(fd, 4);
	CHECK_EQ(ready(fd), POLLIN | POLLOUT);
	CHECK_EQ(rd(fd), 7);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	/* a read needs 8 bytes and moves 8; a write must be of exactly 8
	 * (since Linux 6.6) */
	char big[16];
	CHECK_ERRNO(read(fd, &v, 7), EINVAL);
	CHECK_ERRNO(write(fd, &v, 7), EINVAL);
	memset(big, 0, sizeof(big));
	big[0] = 2;
	CHECK_ERRNO(write(fd, big, 16), EINVAL);
	CHECK_EQ(write(fd, big, 8), 8);
	memset(big, 0x55, sizeof(big));
	CHECK_EQ(read(fd, big, 16), 8);
	CHECK_EQ(big[8], 0x55);
	CHECK_EQ(big[0], 2);
	/* the ceiling is 0xfffffffffffffffe; ~0 itself is refused */
	v = UINT64_MAX;
	CHECK_ERRNO(write(fd, &v, 8), EINVAL);
	wr(fd, UINT64_MAX - 1);
	CHECK_EQ(ready(fd), POLLIN);
	v = 1;
	CHECK_ERRNO(write(fd, &v, 8), EAGAIN);
	wr(fd, 0); /* adding 0 always fits */
	CHECK(rd(fd) == UINT64_MAX - 1);
	CHECK_EQ(ready(fd), POLLOUT);
	close(fd);

	/* eventfd(2), the old call, takes an initial value and no flags */
	fd = (int)syscall(SYS_eventfd, 5);
	CHECK(fd >= 0);
	CHECK_EQ(rd(fd), 5);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	close(fd);
}

static void semaphore(void)
{
	int fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_EQ(rd(fd), 1);
	CHECK_EQ(rd(fd), 1);
	CHECK_EQ(rd(fd), 1);
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void flags(void)
{
	CHECK_ERRNO(eventfd(0, 0x4000 /* not a flag */), EINVAL);
	CHECK_ERRNO(eventfd(0, O_APPEND), EINVAL);
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	/* O_NONBLOCK can be cleared and set like any file's */
	CHECK(fcntl(fd, F_SETFL, 0) == 0);
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = 0;
	printf("link %s\n", link);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
	close(fd);
}

static void blocking(void)
{
	int fd = eventfd(0, 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		wr(fd, 9);
		/* then fill it, so the parent's write must wait for our read */
		usleep(50000);
		wr(fd, UINT64_MAX - 1);
		usleep(50000);
		CHECK(rd(fd) == UINT64_MAX - 1);
		_exit(0);
	}
	CHECK_EQ(rd(fd), 9); /* blocks until the child writes */
	usleep(75000);
	wr(fd, 1); /* blocks until the child reads */
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(rd(fd), 1);
	close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void interrupted(void)
{
	int fd = eventfd(0, 0);
	uint64_t v;
	struct sigaction sa = {.sa_handler = on_alarm};
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	/* without SA_RESTART the read fails with EINTR */
	ualarm(50000, 0);
	CHECK_ERRNO(read(fd, &v, 8), EINTR);
	CHECK_EQ(alarms, 1);
	/* with SA_RESTART it goes on and gets the later write */
	sa.sa_flags = SA_RESTART;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(150000);
		wr(fd, 4);
		_exit(0);
	}
	ualarm(50000, 0);
	CHECK_EQ(rd(fd), 4);
	CHECK_EQ(alarms, 2);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	close(fd);
}

static void epoll_wakeup(void)
{
	int fd = eventfd(0, EFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 1};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 3; i++) {
			usleep(30000);
			wr(fd, 1);
		}
		_exit(0);
	}
	/* each write is a new edge, even if the counter was not read */
	for (int i = 0; i < 3; i++) {
		int n;
		do
			n = epoll_wait(ep, &ev, 1, 5000);
		while (n < 0 && errno == EINTR);
		CHECK_EQ(n, 1);
		CHECK_EQ(ev.events, EPOLLIN);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(rd(fd), 3);
	close(fd);
	close(ep);
}

int main(void)
{
	int fails = 0;
	flags();
	fails += run_group("counter", counter, 10);
	fails += run_group("semaphore", semaphore, 10);
	fails += run_group("blocking", blocking, 10);
	fails += run_group("interrupted", interrupted, 10);
	fails += run_group("epoll-edges", epoll_wakeup, 10);
	return fails != 0;
}
