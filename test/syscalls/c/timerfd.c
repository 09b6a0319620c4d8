/* timerfd: every clock, create and settime errnos, one-shot and interval
 * timers with expiration counts, absolute times in the past, gettime and
 * the old value, disarming, blocking and non-blocking reads and their
 * interruption, poll/epoll readiness, TFD_IOC_SET_TICKS. Times are checked
 * as bounds, never printed. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

#define MS 1000000L

static struct itimerspec spec(long value_ns, long interval_ns)
{
	struct itimerspec s = {
		.it_value = {value_ns / 1000000000L, value_ns % 1000000000L},
		.it_interval = {interval_ns / 1000000000L, interval_ns % 1000000000L},
	};
	return s;
}

static long ns(struct timespec ts) { return ts.tv_sec * 1000000000L + ts.tv_nsec; }

static uint64_t rd(int fd)
{
	uint64_t v;
	ssize_t n;
	do
		n = read(fd, &v, 8);
	while (n < 0 && errno == EINTR);
	CHECK_EQ(n, 8);
	return v;
}

/* rd_nonblock_wait polls a non-blocking timerfd until it expires. */
static uint64_t rd_nonblock_wait(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 5000), 1);
	CHECK_EQ(pf.revents, POLLIN);
	return rd(fd);
}

static void create(void)
{
	CHECK_ERRNO(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(CLOCK_MONOTONIC_RAW, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(-1, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
	int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM};
	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int fd = timerfd_create(clocks[i], TFD_NONBLOCK);
		if (fd < 0) {
			/* the alarm clocks need CAP_WAKE_ALARM, which root has */
			CHECK(errno == EPERM && clocks[i] >= CLOCK_REALTIME_ALARM && geteuid() != 0);
			continue;
		}
		struct itimerspec s = spec(10 * MS, 0);
		CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
		CHECK_EQ(rd_nonblock_wait(fd), 1);
		close(fd);
	}
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
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

static void settime_errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec s = spec(MS, 0), old;
	CHECK_ERRNO(timerfd_settime(fd, 4, &s, NULL), EINVAL);
	s.it_value.tv_nsec = 1000000000L;
	CHECK_ERRNO(timerfd_settime(fd, 0, &s, NULL), EINVAL);
	s = spec(MS, 0);
	s.it_interval.tv_sec = -1;
	CHECK_ERRNO(timerfd_settime(fd, 0, &s, NULL), EINVAL);
	s = spec(MS, 0);
	s.it_value.tv_nsec = -1;
	CHECK_ERRNO(timerfd_settime(fd, 0, &s, NULL), EINVAL);
	CHECK_ERRNO(timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
	s = spec(0, 0);
	CHECK_ERRNO(timerfd_settime(-1, 0, &s, NULL), EBADF);
	CHECK_ERRNO(timerfd_gettime(-1, &old), EBADF);
	CHECK_ERRNO(timerfd_settime(0, 0, &s, NULL), EINVAL); /* not a timerfd */
	CHECK_ERRNO(timerfd_gettime(0, &old), EINVAL);
	CHECK_ERRNO(timerfd_gettime(fd, (void *)8), EFAULT);
	/* reads want 8 bytes; writes are refused */
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, 7), EINVAL);
	CHECK_ERRNO(write(fd, &v, 8), EINVAL);
	/* CANCEL_ON_SET is accepted with an absolute realtime timer */
	int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s = spec(0, 0);
	s.it_value.tv_sec = now.tv_sec + 100;
	CHECK(timerfd_settime(rt, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL) == 0);
	CHECK_ERRNO(read(rt, &v, 8), EAGAIN);
	close(rt);
	close(fd);
}

static void oneshot(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec s = spec(50 * MS, 0), cur;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
	CHECK(timerfd_gettime(fd, &cur) == 0);
	CHECK(ns(cur.it_value) > 0 && ns(cur.it_value) <= 50 * MS);
	CHECK_EQ(ns(cur.it_interval), 0);
	CHECK_EQ(rd(fd), 1); /* blocks until it fires */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ns(t1) - ns(t0) >= 50 * MS);
	CHECK(timerfd_gettime(fd, &cur) == 0);
	CHECK_EQ(ns(cur.it_value), 0); /* expired: disarmed */
	/* nothing more comes */
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 100), 0);
	close(fd);
}

static void interval(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec s = spec(10 * MS, 10 * MS), old, cur;
	uint64_t v;
	struct timespec t0, t1;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	CHECK(timerfd_settime(fd, 0, &s, &old) == 0);
	CHECK_EQ(ns(old.it_value), 0);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	usleep(105000);
	v = rd(fd);
	CHECK(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	/* At least half the 10 expirations the sleep covers, at most one per
	 * 10 ms that really passed (a loaded machine oversleeps). */
	CHECK(v >= 5 && (long)v <= (ns(t1) - ns(t0)) / (10 * MS));
	CHECK(timerfd_gettime(fd, &cur) == 0);
	CHECK_EQ(ns(cur.it_interval), 10 * MS);
	CHECK(ns(cur.it_value) > 0 && ns(cur.it_value) <= 10 * MS);
	/* a new setting returns the old one and resets the count */
	usleep(30000);
	s = spec(0, 0);
	CHECK(timerfd_settime(fd, 0, &s, &old) == 0);
	CHECK_EQ(ns(old.it_interval), 10 * MS);
	CHECK(ns(old.it_value) > 0 && ns(old.it_value) <= 10 * MS);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	CHECK(timerfd_gettime(fd, &cur) == 0);
	CHECK_EQ(ns(cur.it_value), 0);
	close(fd);
}

static void absolute(void)
{
	int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
	for (int i = 0; i < 2; i++) {
		int fd = timerfd_create(clocks[i], TFD_NONBLOCK);
		struct timespec now;
		/* a sandbox's monotonic clock starts near 0 at its boot */
		for (clock_gettime(clocks[i], &now); now.tv_sec < 2; clock_gettime(clocks[i], &now))
			usleep(100000);
		/* one second in the past, every 100 ms: ~10 expirations at once */
		struct itimerspec s = spec(0, 100 * MS);
		s.it_value.tv_sec = now.tv_sec - 1;
		s.it_value.tv_nsec = now.tv_nsec;
		CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0);
		uint64_t v = rd(fd);
		CHECK(v >= 10 && v <= 12);
		/* in the near future */
		clock_gettime(clocks[i], &now);
		s = spec(ns(now) + 30 * MS, 0);
		CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) == 0);
		struct itimerspec cur;
		CHECK(timerfd_gettime(fd, &cur) == 0);
		CHECK(ns(cur.it_value) > 0 && ns(cur.it_value) <= 30 * MS);
		CHECK_EQ(rd_nonblock_wait(fd), 1);
		close(fd);
	}
}

static void readiness(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = 1};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	struct pollfd pf = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&pf, 1, 0), 0); /* never writable */
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	struct itimerspec s = spec(20 * MS, 20 * MS);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
	/* the first expiry is an edge; the next ones are counted only when
	 * the timer is read, as Linux restarts an expired timer then */
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 100), 0);
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK(rd(fd) >= 5);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1); /* restarted by the read */
	CHECK(rd(fd) >= 1);
	/* TFD_IOC_SET_TICKS, where the kernel has it (CONFIG_CHECKPOINT_RESTORE) */
	s = spec(0, 0);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
	uint64_t ticks = 5;
	if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks) == 0) {
		CHECK_EQ(rd(fd), 5);
		ticks = 0;
		CHECK_ERRNO(ioctl(fd, TFD_IOC_SET_TICKS, &ticks), EINVAL);
	} else {
		CHECK(errno == ENOTTY);
	}
	close(fd);
	close(ep);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void interrupted(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec s = spec(10000 * MS, 0);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, 8), EINTR);
	CHECK_EQ(usr1, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	/* a child shares the timer: it reads what expires */
	s = spec(30 * MS, 0);
	CHECK(timerfd_settime(fd, 0, &s, NULL) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(rd(fd) == 1 ? 0 : 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

int main(void)
{
	int fails = 0;
	create();
	fails += run_group("settime-errors", settime_errors, 10);
	fails += run_group("oneshot", oneshot, 10);
	fails += run_group("interval", interval, 10);
	fails += run_group("absolute", absolute, 10);
	fails += run_group("readiness", readiness, 10);
	fails += run_group("interrupted", interrupted, 10);
	return fails != 0;
}
