/* epoll: creation flags, every epoll_ctl errno, level-triggered,
 * edge-triggered, one-shot and exclusive items, hang-ups always reported,
 * data returned verbatim, maxevents, nesting and its limits, items dying
 * with their file description, waits across fork, epoll_pwait's signal
 * mask and epoll_pwait2's timespec. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1u << 28)
#endif

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* wait1 waits up to ms for one event and returns how many came. */
static int wait1(int ep, struct epoll_event *ev, int ms)
{
	int n;
	do
		n = epoll_wait(ep, ev, 1, ms);
	while (n < 0 && errno == EINTR);
	CHECK(n >= 0);
	return n;
}

static void create_flags(void)
{
	CHECK_ERRNO(epoll_create(0), EINVAL);
	CHECK_ERRNO(epoll_create(-1), EINVAL);
	CHECK_ERRNO(epoll_create1(1), EINVAL);
	CHECK_ERRNO(epoll_create1(O_NONBLOCK), EINVAL);
	int ep = epoll_create(1);
	CHECK(ep >= 0);
	CHECK_EQ(fcntl(ep, F_GETFD), 0);
	CHECK_EQ(fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep2 >= 0);
	CHECK_EQ(fcntl(ep2, F_GETFD), FD_CLOEXEC);

	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = 0;
	printf("link %s\n", link);
	struct stat st;
	CHECK(fstat(ep, &st) == 0);
	printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
	char c;
	CHECK_ERRNO(read(ep, &c, 1), EINVAL);
	CHECK_ERRNO(write(ep, &c, 1), EINVAL);
	close(ep);
	close(ep2);
}

static void ctl_errors(void)
{
	int ep = epoll_create1(0), p[2];
	CHECK(ep >= 0);
	CHECK(pipe(p) == 0);
	struct epoll_event ev = {.events = EPOLLIN};

	CHECK_ERRNO(epoll_ctl(-1, EPOLL_CTL_ADD, p[0], &ev), EBADF);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8), EFAULT);
	/* files without a poll operation */
	int reg = open("/proc/self/exe", O_RDONLY);
	CHECK(reg >= 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev), EPERM);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(dir >= 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev), EPERM);
	int null = open("/dev/null", O_RDWR);
	CHECK(null >= 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev), EPERM);
	/* an O_PATH descriptor is no file to epoll */
	int path = open("/", O_PATH);
	CHECK(path >= 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, path, &ev), EBADF);
	/* epfd must be an epoll, and not the target */
	CHECK_ERRNO(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, 42, p[0], &ev), EINVAL);

	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK(add(ep, p[0], EPOLLIN, 1) == 0);
	CHECK_ERRNO(add(ep, p[0], EPOLLIN, 1), EEXIST);
	CHECK(mod(ep, p[0], EPOLLIN | EPOLLOUT, 2) == 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0); /* event ignored */
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);

	/* EPOLLEXCLUSIVE: ADD only, only with these bits, never on an epoll */
	CHECK_ERRNO(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 0), EINVAL);
	CHECK_ERRNO(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
	int inner = epoll_create1(0);
	CHECK_ERRNO(add(ep, inner, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLET | EPOLLWAKEUP, 0) == 0);
	CHECK_ERRNO(mod(ep, p[0], EPOLLIN, 0), EINVAL);
	CHECK_ERRNO(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK(add(ep, p[1], EPOLLOUT, 0) == 0);
	CHECK_ERRNO(mod(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 0), EINVAL);

	/* epoll_wait's arguments */
	struct epoll_event out[2];
	CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, 0, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, -1, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_epoll_wait, ep, out, 0x7fffffff / 12 + 1, 0), EINVAL);
	static struct epoll_event low[2]; /* far below the end of the address space */
	CHECK_EQ(syscall(SYS_epoll_wait, ep, low, 0x7fffffff / 12, 0), 1); /* p[1] is writable */
	CHECK_ERRNO(epoll_wait(-1, out, 1, 0), EBADF);
	CHECK_ERRNO(epoll_wait(p[0], out, 1, 0), EINVAL);
	close(inner);
	close(reg);
	close(dir);
	close(null);
	close(path);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void level_edge_oneshot(void)
{
	int p[2];
	struct epoll_event ev;
	CHECK(pipe(p) == 0);
	int lt = epoll_create1(0), et = epoll_create1(0), os = epoll_create1(0);
	CHECK(add(lt, p[0], EPOLLIN, 0xdeadbeefcafebabeull) == 0);
	CHECK(add(et, p[0], EPOLLIN | EPOLLET, 7) == 0);
	CHECK(add(os, p[0], EPOLLIN | EPOLLONESHOT, 8) == 0);
	CHECK_EQ(wait1(lt, &ev, 0), 0);
	CHECK_EQ(wait1(et, &ev, 0), 0);

	write_all(p[1], "ab", 2);
	CHECK_EQ(wait1(lt, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK(ev.data.u64 == 0xdeadbeefcafebabeull);
	CHECK_EQ(wait1(lt, &ev, 0), 1); /* still readable */
	CHECK_EQ(wait1(et, &ev, 0), 1);
	CHECK_EQ(ev.data.u64, 7);
	CHECK_EQ(wait1(et, &ev, 0), 0); /* no new edge */
	CHECK_EQ(wait1(os, &ev, 0), 1);
	CHECK_EQ(ev.data.u64, 8);
	CHECK_EQ(wait1(os, &ev, 0), 0); /* disarmed */

	/* a read frees space: no input edge; more data is one */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(wait1(et, &ev, 0), 0);
	write_all(p[1], "c", 1);
	CHECK_EQ(wait1(et, &ev, 0), 1);
	CHECK_EQ(wait1(os, &ev, 0), 0); /* still disarmed */
	CHECK(mod(os, p[0], EPOLLIN | EPOLLONESHOT, 9) == 0);
	CHECK_EQ(wait1(os, &ev, 0), 1); /* re-armed and ready */
	CHECK_EQ(ev.data.u64, 9);

	/* drained: nothing for anyone */
	char buf[8];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	CHECK_EQ(wait1(lt, &ev, 0), 0);

	/* the writer goes: EPOLLHUP, never asked for, for all */
	CHECK(mod(os, p[0], EPOLLIN | EPOLLONESHOT, 9) == 0);
	close(p[1]);
	CHECK_EQ(wait1(lt, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	CHECK_EQ(wait1(et, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	CHECK_EQ(wait1(os, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	close(p[0]);

	/* the reader goes: EPOLLERR on the write end, with EPOLLOUT */
	CHECK(pipe(p) == 0);
	CHECK(add(lt, p[1], 0, 3) == 0); /* no events asked */
	CHECK_EQ(wait1(lt, &ev, 0), 0);
	close(p[0]);
	CHECK_EQ(wait1(lt, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLERR);
	CHECK(mod(lt, p[1], EPOLLOUT, 3) == 0);
	CHECK_EQ(wait1(lt, &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLOUT | EPOLLERR);
	close(p[1]);
	close(lt);
	close(et);
	close(os);
}

static void maxevents(void)
{
	int ep = epoll_create1(0), fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = eventfd(1, 0);
		CHECK(add(ep, fds[i], EPOLLIN, 100 + i) == 0);
	}
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 2);
	int seen = (1 << (out[0].data.u64 - 100)) | (1 << (out[1].data.u64 - 100));
	/* level-triggered items go to the back: the third comes first now */
	CHECK_EQ(epoll_wait(ep, out, 1, 0), 1);
	seen |= 1 << (out[0].data.u64 - 100);
	CHECK_EQ(seen, 7);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 3);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	close(ep);
}

static void closing(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	int e = eventfd(1, 0);
	CHECK(add(ep, e, EPOLLIN, 5) == 0);
	int d = dup(e);
	CHECK(close(e) == 0);
	/* the description lives on in d: still reported */
	CHECK_EQ(wait1(ep, &ev, 0), 1);
	CHECK_EQ(ev.data.u64, 5);
	/* the registration was made with fd e, now closed */
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), EBADF);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	/* a new registration through d is a different item */
	CHECK(add(ep, d, EPOLLIN, 6) == 0);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 2);
	CHECK(close(d) == 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* the fd number reused: not the old item */
	int e2 = eventfd(1, 0);
	CHECK_EQ(e2, e);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK(add(ep, e2, EPOLLIN, 7) == 0);
	CHECK_EQ(wait1(ep, &ev, 0), 1);
	CHECK_EQ(ev.data.u64, 7);
	close(e2);
	close(ep);
}

static void nesting(void)
{
	int eps[7];
	for (int i = 0; i < 7; i++)
		eps[i] = epoll_create1(0);
	/* bottom-up: eps[i] watches eps[i-1]; five in a chain is the limit */
	for (int i = 1; i < 5; i++)
		CHECK(add(eps[i], eps[i - 1], EPOLLIN, i) == 0);
	CHECK_ERRNO(add(eps[5], eps[4], EPOLLIN, 5), ELOOP);
	/* a cycle */
	CHECK_ERRNO(add(eps[0], eps[2], EPOLLIN, 0), ELOOP);
	CHECK_ERRNO(add(eps[1], eps[4], EPOLLIN, 0), ELOOP);

	/* an event at the bottom shows at every level, and to poll */
	int e = eventfd(0, 0);
	CHECK(add(eps[0], e, EPOLLIN, 99) == 0);
	struct epoll_event ev;
	CHECK_EQ(wait1(eps[4], &ev, 0), 0);
	struct pollfd pf = {.fd = eps[4], .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&pf, 1, 0), 0);
	uint64_t one = 1;
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK_EQ(wait1(eps[4], &ev, 0), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 4);
	CHECK_EQ(wait1(eps[0], &ev, 0), 1);
	CHECK_EQ(ev.data.u64, 99);

	/* select sees the same */
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(eps[2], &rs);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(eps[2] + 1, &rs, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(eps[2], &rs));

	/* a blocked wait at the top wakes for a write at the bottom */
	uint64_t v;
	CHECK_EQ(read(e, &v, 8), 8);
	CHECK_EQ(wait1(eps[4], &ev, 0), 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		CHECK_EQ(write(e, &one, 8), 8);
		_exit(0);
	}
	CHECK_EQ(wait1(eps[4], &ev, 5000), 1);
	CHECK_EQ(ev.data.u64, 4);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);

	/* closing a middle instance breaks the chain and makes room */
	close(eps[2]);
	CHECK_EQ(wait1(eps[4], &ev, 0), 0);
	CHECK(add(eps[6], eps[4], EPOLLIN, 6) == 0);
	close(e);
	for (int i = 0; i < 7; i++)
		if (i != 2)
			close(eps[i]);
}

static void across_fork(void)
{
	int ep = epoll_create1(0), p[2];
	CHECK(pipe(p) == 0);
	CHECK(add(ep, p[0], EPOLLIN, 1) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* the child shares the instance: its additions show in the
		 * parent, and its data wakes the parent's wait */
		int e = eventfd(1, 0);
		CHECK(add(ep, e, EPOLLIN, 2) == 0);
		usleep(50000);
		write_all(p[1], "x", 1);
		pause();
		_exit(0);
	}
	struct epoll_event out[4];
	int got = 0;
	while (got != 3) {
		int n = epoll_wait(ep, out, 4, 5000);
		CHECK(n > 0);
		for (int i = 0; i < n; i++)
			got |= (int)out[i].data.u64;
	}
	kill(pid, SIGKILL);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	/* the child's eventfd died with it: only the pipe is left */
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 1);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void pwait_mask(void)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	sigset_t block, empty, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
	int ep = epoll_create1(0), e = eventfd(0, 0);
	CHECK(add(ep, e, EPOLLIN, 1) == 0);
	struct epoll_event ev;

	/* the signal is blocked outside the wait; pwait unblocks it, and
	 * epoll waits are never restarted, even with SA_RESTART */
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(usr1, 0);
	CHECK_ERRNO(epoll_pwait(ep, &ev, 1, 5000, &empty), EINTR);
	CHECK_EQ(usr1, 1);
	CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0);
	CHECK(sigismember(&cur, SIGUSR1));
	/* with the signal blocked for the wait too, it stays pending */
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(epoll_pwait(ep, &ev, 1, 10, &block), 0);
	CHECK_EQ(usr1, 1);
	/* a plain epoll_wait is interrupted by a handled signal too */
	CHECK(sigprocmask(SIG_UNBLOCK, &block, NULL) == 0);
	CHECK_EQ(usr1, 2);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_ERRNO(epoll_wait(ep, &ev, 1, 5000), EINTR);
	CHECK_EQ(usr1, 3);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);

	/* epoll_pwait2: a timespec timeout, validated */
	struct timespec ts = {0, 20 * 1000 * 1000};
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), 0);
	struct timespec bad = {0, 1000 * 1000 * 1000};
	CHECK_ERRNO(syscall(SYS_epoll_pwait2, ep, &ev, 1, &bad, NULL, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &empty, 4), EINVAL);
	uint64_t one = 1;
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, NULL, NULL, 8), 1);
	close(e);
	close(ep);
}

static void exclusive_wakes(void)
{
	/* two processes with their own instances, exclusive on one eventfd:
	 * a write wakes at least one of them */
	int e = eventfd(0, EFD_NONBLOCK), done = eventfd(0, 0);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			int ep = epoll_create1(0);
			CHECK(add(ep, e, EPOLLIN | EPOLLEXCLUSIVE, 1) == 0);
			struct epoll_event ev;
			CHECK_EQ(wait1(ep, &ev, 10000), 1);
			uint64_t one = 1;
			CHECK_EQ(write(done, &one, 8), 8);
			_exit(0);
		}
	}
	usleep(100000);
	uint64_t one = 1, v;
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(read(done, &v, 8), 8);
	CHECK(v >= 1);
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		int status;
		CHECK_EQ(waitpid(kids[i], &status, 0), kids[i]);
	}
	close(e);
	close(done);
}

/* a FIFO: both ends and a read-write open, in poll and epoll alike */
static void fifo(void)
{
	char name[64];
	snprintf(name, sizeof(name), "epoll-fifo.%d", getpid());
	CHECK(mkfifo(name, 0600) == 0);
	int r = open(name, O_RDONLY | O_NONBLOCK), w = open(name, O_WRONLY | O_NONBLOCK);
	int rw = open(name, O_RDWR | O_NONBLOCK);
	CHECK(r >= 0 && w >= 0 && rw >= 0);
	CHECK(unlink(name) == 0);
	int ep = epoll_create1(0);
	CHECK(add(ep, r, EPOLLIN | EPOLLET, 1) == 0);
	CHECK(add(ep, rw, EPOLLIN, 2) == 0);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		write_all(w, "x", 1);
		_exit(0);
	}
	int got = 0;
	while (got != 3) {
		int n = epoll_wait(ep, out, 4, 5000);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			CHECK_EQ(out[i].events, EPOLLIN);
			got |= (int)out[i].data.u64;
		}
	}
	struct pollfd pf[2] = {{.fd = rw, .events = POLLIN | POLLOUT}, {.fd = r, .events = POLLIN}};
	CHECK_EQ(poll(pf, 2, 0), 2);
	CHECK_EQ(pf[0].revents, POLLIN | POLLOUT);
	CHECK_EQ(pf[1].revents, POLLIN);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	close(r);
	close(w);
	close(rw);
	close(ep);
}

/* stdio: whatever the harness gave us (a pipe, a file, /dev/null),
 * epoll takes it exactly when the host would, and agrees with poll. */
static void stdio(void)
{
	int ep = epoll_create1(0);
	for (int fd = 0; fd <= 2; fd++) {
		struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = fd};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			CHECK(errno == EPERM);
			continue;
		}
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		CHECK(poll(&pf, 1, 0) >= 0);
		int n = epoll_wait(ep, &ev, 1, 0);
		CHECK(n >= 0);
		CHECK_EQ(n ? ev.events : 0, pf.revents);
		CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL) == 0);
	}
	close(ep);
}

int main(void)
{
	int fails = 0;
	create_flags();
	fails += run_group("ctl-errors", ctl_errors, 10);
	fails += run_group("level-edge-oneshot", level_edge_oneshot, 10);
	fails += run_group("maxevents", maxevents, 10);
	fails += run_group("closing", closing, 10);
	fails += run_group("nesting", nesting, 10);
	fails += run_group("across-fork", across_fork, 10);
	fails += run_group("pwait-mask", pwait_mask, 10);
	fails += run_group("exclusive", exclusive_wakes, 20);
	fails += run_group("stdio", stdio, 10);
	fails += run_group("fifo", fifo, 10);
	return fails != 0;
}
