/* signalfd: reading pending signals as struct signalfd_siginfo (kill,
 * tgkill, sigqueue, SIGCHLD fields), the order they come in, several per
 * read, flags and errnos, changing the mask of an existing signalfd,
 * blocking reads woken by another process's signal, and poll/epoll
 * readiness. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static sigset_t set_of(int a, int b, int c)
{
	sigset_t s;
	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	if (c)
		sigaddset(&s, c);
	return s;
}

static int readable(int fd)
{
	struct pollfd pf = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK(poll(&pf, 1, 0) >= 0);
	return pf.revents;
}

static struct signalfd_siginfo take(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n;
	do
		n = read(fd, &si, sizeof(si));
	while (n < 0 && errno == EINTR);
	CHECK_EQ(n, sizeof(si));
	return si;
}

static void basics(void)
{
	sigset_t s = set_of(SIGUSR1, SIGUSR2, SIGRTMIN);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	struct signalfd_siginfo si;
	CHECK_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	CHECK_ERRNO(read(fd, &si, sizeof(si) - 1), EINVAL);
	CHECK_EQ(readable(fd), 0);

	/* kill: SI_USER with the sender */
	CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK_EQ(readable(fd), POLLIN);
	si = take(fd);
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	CHECK_EQ(si.ssi_code, SI_USER);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(si.ssi_uid, getuid());
	CHECK_EQ(readable(fd), 0);
	sigset_t pend;
	CHECK(sigpending(&pend) == 0);
	CHECK(!sigismember(&pend, SIGUSR2)); /* taken, not just seen */

	/* tgkill: SI_TKILL */
	CHECK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1) == 0);
	si = take(fd);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_code, SI_TKILL);
	CHECK_EQ(si.ssi_pid, getpid());

	/* sigqueue: SI_QUEUE with the value; real-time signals queue */
	union sigval v = {.sival_int = 42};
	CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
	v.sival_int = 43;
	CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
	struct signalfd_siginfo many[3];
	CHECK_EQ(read(fd, many, sizeof(many)), 2 * sizeof(many[0]));
	CHECK_EQ(many[0].ssi_signo, SIGRTMIN);
	CHECK_EQ(many[0].ssi_code, SI_QUEUE);
	CHECK_EQ(many[0].ssi_int, 42);
	CHECK_EQ(many[0].ssi_ptr, 42);
	CHECK_EQ(many[1].ssi_int, 43);

	/* the lowest first; a thread's own before its process's */
	CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR1);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR2);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2) == 0);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR2);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR1);

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

static void errors_and_mask(void)
{
	sigset_t s = set_of(SIGUSR1, 0, 0), all;
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	CHECK_ERRNO(signalfd(-1, &s, 0x1000), EINVAL);
	CHECK_ERRNO(syscall(SYS_signalfd4, -1, &s, 4, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
	CHECK_ERRNO(signalfd(999, &s, 0), EBADF);
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK_ERRNO(signalfd(p[0], &s, 0), EINVAL);
	/* SIGKILL and SIGSTOP in the mask are dropped, not refused */
	sigfillset(&all);
	int fd = signalfd(-1, &all, SFD_NONBLOCK);
	CHECK(fd >= 0);
	close(fd);
	/* the old signalfd(2) takes no flags */
	fd = (int)syscall(SYS_signalfd, -1, &s, 8);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	close(fd);

	/* a new mask for an existing signalfd */
	fd = signalfd(-1, &s, SFD_NONBLOCK);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(readable(fd), POLLIN);
	sigset_t other = set_of(SIGUSR2, 0, 0);
	CHECK_EQ(signalfd(fd, &other, 0), fd);
	CHECK_EQ(readable(fd), 0);
	struct signalfd_siginfo si;
	CHECK_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	sigset_t pend;
	CHECK(sigpending(&pend) == 0);
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK_EQ(signalfd(fd, &s, 0), fd);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR1);
	/* writes are refused */
	CHECK_ERRNO(write(fd, &si, sizeof(si)), EINVAL);
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void blocking(void)
{
	sigset_t s = set_of(SIGUSR1, SIGCHLD, 0);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	int fd = signalfd(-1, &s, 0);
	CHECK(fd >= 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		usleep(50000);
		_exit(7);
	}
	struct signalfd_siginfo si = take(fd); /* blocks until the child's kill */
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_pid, pid);
	si = take(fd); /* then its exit */
	CHECK_EQ(si.ssi_signo, SIGCHLD);
	CHECK_EQ(si.ssi_code, CLD_EXITED);
	CHECK_EQ(si.ssi_pid, pid);
	CHECK_EQ(si.ssi_status, 7);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	close(fd);
}

static void with_epoll(void)
{
	sigset_t s = set_of(SIGUSR1, 0, 0);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK), ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u32, 5);
	CHECK_EQ(take(fd).ssi_signo, SIGUSR1);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	close(fd);
	close(ep);
}

/* in_main runs in the test's first process, which is the container's
 * init under runsc: a blocked signal reaches even an init that does not
 * handle it, as tini and systemd rely on. */
static void in_main(void)
{
	sigset_t s = set_of(SIGUSR1, SIGTERM, 0), old;
	CHECK(sigprocmask(SIG_BLOCK, &s, &old) == 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	CHECK(kill(getpid(), SIGTERM) == 0);
	CHECK_EQ(take(fd).ssi_signo, SIGTERM);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	struct timespec ts = {1, 0};
	CHECK_EQ(sigtimedwait(&s, NULL, &ts), SIGUSR1);
	close(fd);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	PASS("init");
}

int main(void)
{
	int fails = 0;
	in_main();
	fails += run_group("basics", basics, 10);
	fails += run_group("errors-and-mask", errors_and_mask, 10);
	fails += run_group("blocking", blocking, 10);
	fails += run_group("epoll", with_epoll, 10);
	return fails != 0;
}
