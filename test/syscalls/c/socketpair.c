/* socketpair: AF_UNIX socket pairs of every type: data both ways with
 * read/write/readv/writev and send/recv/sendto/recvfrom/sendmsg/recvmsg,
 * message boundaries, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC,
 * shutdown, close of the peer (EOF, EPIPE and SIGPIPE, ECONNRESET),
 * blocking and its interruption by signals, O_NONBLOCK, readiness in poll
 * and epoll, FIONREAD/SIOCINQ/SIOCOUTQ, fstat, socket options and names,
 * timeouts, sendmmsg and recvmmsg. */
#include "test.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
static const char *names[] = {"stream", "dgram", "seqpacket"};

static void pair(int type, int sv[2])
{
	CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
}

static short revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	CHECK(poll(&p, 1, 0) >= 0);
	return p.revents;
}

static void data_both_ways(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char buf[64];
		pair(types[i], sv);
		CHECK_EQ(write(sv[0], "hello", 5), 5);
		CHECK_EQ(read(sv[1], buf, sizeof(buf)), 5);
		CHECK(memcmp(buf, "hello", 5) == 0);
		CHECK_EQ(send(sv[1], "back", 4, 0), 4);
		CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
		CHECK(memcmp(buf, "back", 4) == 0);
		/* sendto without an address, recvfrom of an unnamed sender */
		CHECK_EQ(sendto(sv[0], "to", 2, 0, NULL, 0), 2);
		struct sockaddr_un from;
		socklen_t fromlen = sizeof(from);
		memset(&from, 0x55, sizeof(from));
		CHECK_EQ(recvfrom(sv[1], buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen), 2);
		CHECK_EQ(fromlen, 0);
		/* vectored both ways */
		struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
		CHECK_EQ(writev(sv[0], wv, 3), 5);
		char x[2], y[8];
		struct iovec rv[2] = {{x, 2}, {y, sizeof(y)}};
		CHECK_EQ(readv(sv[1], rv, 2), 5);
		CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
		/* sendmsg/recvmsg */
		struct msghdr m = {.msg_iov = wv, .msg_iovlen = 3};
		CHECK_EQ(sendmsg(sv[1], &m, 0), 5);
		memset(y, 0, sizeof(y));
		struct iovec rv2[1] = {{y, sizeof(y)}};
		struct msghdr r = {.msg_iov = rv2, .msg_iovlen = 1, .msg_flags = -1};
		CHECK_EQ(recvmsg(sv[0], &r, 0), 5);
		CHECK(memcmp(y, "abcde", 5) == 0);
		CHECK_EQ(r.msg_flags, 0);
		/* a read of nothing returns 0 at once */
		CHECK_EQ(read(sv[0], buf, 0), 0);
		/* pread on a socket */
		CHECK_ERRNO(pread(sv[0], buf, 1, 0), ESPIPE);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok data-both-ways %s\n", names[i]);
	}
}

static void boundaries(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char buf[64];
		pair(types[i], sv);
		CHECK_EQ(send(sv[0], "one", 3, 0), 3);
		CHECK_EQ(send(sv[0], "two!", 4, 0), 4);
		CHECK_EQ(send(sv[0], "", 0, 0), 0);
		CHECK_EQ(send(sv[0], "three", 5, 0), 5);
		if (types[i] == SOCK_STREAM) {
			/* bytes run together */
			CHECK_EQ(recv(sv[1], buf, 5, MSG_PEEK), 5);
			CHECK(memcmp(buf, "onetw", 5) == 0);
			CHECK_EQ(recv(sv[1], buf, 5, 0), 5);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 7);
			CHECK(memcmp(buf, "o!three", 7) == 0);
		} else {
			/* one message per read; a short buffer truncates */
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 3);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
			CHECK(memcmp(buf, "one", 3) == 0);
			struct iovec v = {buf, 2};
			struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
			CHECK_EQ(recvmsg(sv[1], &m, 0), 2);
			CHECK(m.msg_flags & MSG_TRUNC);
			CHECK(memcmp(buf, "tw", 2) == 0);
			/* the empty message */
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
			/* MSG_TRUNC returns the real length */
			CHECK_EQ(recv(sv[1], buf, 1, MSG_TRUNC), 5);
			CHECK_EQ(buf[0], 't');
		}
		CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok boundaries %s\n", names[i]);
	}
	/* a datagram larger than the send buffer */
	int sv[2];
	pair(SOCK_DGRAM, sv);
	int sz = 5000; /* becomes 10000 */
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0);
	static char big[20000];
	CHECK_ERRNO(send(sv[0], big, 10000, 0), EMSGSIZE);
	CHECK_EQ(send(sv[0], big, 9000, 0), 9000);
	CHECK_EQ(recv(sv[1], big, sizeof(big), 0), 9000);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("dgram-emsgsize");
}

static volatile sig_atomic_t sigpipes, alarms;

static void on_signal(int sig)
{
	if (sig == SIGPIPE)
		sigpipes++;
	if (sig == SIGALRM)
		alarms++;
}

static void shutdown_and_close(void)
{
	CHECK(signal(SIGPIPE, on_signal) != SIG_ERR);
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char buf[16];
		pair(types[i], sv);
		int conn = types[i] != SOCK_DGRAM;
		CHECK_ERRNO(shutdown(sv[0], 7), EINVAL);
		/* SHUT_WR: no more sends; a stream send raises SIGPIPE */
		CHECK(shutdown(sv[0], SHUT_WR) == 0);
		sigpipes = 0;
		CHECK_ERRNO(send(sv[0], "x", 1, 0), EPIPE);
		CHECK_EQ(sigpipes, types[i] == SOCK_STREAM ? 1 : 0);
		CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
		CHECK_EQ(sigpipes, types[i] == SOCK_STREAM ? 1 : 0);
		/* the peer of a connection sees the end */
		if (conn) {
			CHECK_EQ(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
		} else {
			CHECK_EQ(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
			CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		}
		CHECK_EQ(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
		/* the other way still works, after SHUT_RD too */
		CHECK_EQ(send(sv[1], "y", 1, 0), 1);
		CHECK(shutdown(sv[0], SHUT_RD) == 0);
		CHECK_EQ(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
		CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 1);
		CHECK_EQ(buf[0], 'y');
		CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);

		/* close of the peer */
		pair(types[i], sv);
		CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
		CHECK(close(sv[0]) == 0);
		sigpipes = 0;
		if (types[i] == SOCK_DGRAM) {
			CHECK_ERRNO(send(sv[1], "x", 1, 0), ECONNREFUSED);
			CHECK_ERRNO(send(sv[1], "x", 1, 0), ENOTCONN);
			/* losing the peer dropped what was queued */
			CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		} else {
			CHECK_EQ(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
			CHECK_ERRNO(send(sv[1], "x", 1, 0), EPIPE);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
		}
		CHECK_EQ(sigpipes, types[i] == SOCK_STREAM ? 1 : 0);
		CHECK(close(sv[1]) == 0);

		/* closing with data unread resets the peer */
		if (conn) {
			pair(types[i], sv);
			CHECK_EQ(send(sv[1], "unread", 6, 0), 6);
			CHECK(close(sv[0]) == 0);
			CHECK(revents(sv[1], POLLIN) & POLLERR);
			int err = -1;
			socklen_t len = sizeof(err);
			CHECK(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len) == 0);
			CHECK_EQ(err, ECONNRESET);
			CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &len), 0);
			CHECK_EQ(err, 0);
			CHECK(close(sv[1]) == 0);
			pair(types[i], sv);
			CHECK_EQ(send(sv[1], "unread", 6, 0), 6);
			CHECK(close(sv[0]) == 0);
			CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), 0), ECONNRESET);
			CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
			CHECK(close(sv[1]) == 0);
		}
		printf("ok shutdown-close %s\n", names[i]);
	}
	/* SIGPIPE's default action kills a stream writer; MSG_NOSIGNAL does
	 * not */
	CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	int sv[2];
	pair(SOCK_STREAM, sv);
	CHECK(close(sv[1]) == 0);
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		write(sv[0], "x", 1);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	CHECK(close(sv[0]) == 0);
	PASS("sigpipe-kills");
}

static void nonblock_and_fill(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		CHECK(socketpair(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
		CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
		CHECK_EQ(fcntl(sv[0], F_GETFL) & O_ACCMODE, O_RDWR);
		CHECK_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
		char buf[1000];
		CHECK_ERRNO(read(sv[0], buf, 1), EAGAIN);
		memset(buf, 'f', sizeof(buf));
		long filled = 0;
		for (;;) {
			ssize_t w = write(sv[0], buf, sizeof(buf));
			if (w < 0) {
				CHECK_EQ(errno, EAGAIN);
				break;
			}
			filled += w;
			CHECK(filled <= 16 << 20);
		}
		CHECK(filled >= 10000);
		CHECK(!(revents(sv[0], POLLOUT) & POLLOUT));
		int inq = 0, outq = 0;
		CHECK(ioctl(sv[1], FIONREAD, &inq) == 0);
		CHECK_EQ(inq, types[i] == SOCK_DGRAM ? 1000 : filled);
		CHECK(ioctl(sv[1], SIOCINQ, &inq) == 0);
		CHECK_EQ(inq, types[i] == SOCK_DGRAM ? 1000 : filled);
		CHECK(ioctl(sv[0], SIOCOUTQ, &outq) == 0);
		CHECK(outq >= filled);
		/* draining makes it writable again */
		long drained = 0;
		for (;;) {
			ssize_t r = read(sv[1], buf, sizeof(buf));
			if (r < 0) {
				CHECK_EQ(errno, EAGAIN);
				break;
			}
			drained += r;
		}
		CHECK_EQ(drained, filled);
		CHECK(revents(sv[0], POLLOUT) & POLLOUT);
		CHECK(ioctl(sv[0], SIOCOUTQ, &outq) == 0);
		CHECK_EQ(outq, 0);
		CHECK(ioctl(sv[1], FIONREAD, &inq) == 0);
		CHECK_EQ(inq, 0);
		/* fcntl clears O_NONBLOCK, MSG_DONTWAIT still applies */
		CHECK(fcntl(sv[0], F_SETFL, 0) == 0);
		CHECK_ERRNO(recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok nonblock-fill %s\n", names[i]);
	}
}

static void block_and_interrupt(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0); /* no SA_RESTART */
	for (int i = 0; i < 3; i++) {
		int sv[2];
		char buf[16];
		pair(types[i], sv);
		/* a blocked recv is woken by data from another process */
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			usleep(50000);
			CHECK_EQ(send(sv[1], "late", 4, 0), 4);
			_exit(0);
		}
		CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
		CHECK(memcmp(buf, "late", 4) == 0);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		/* and interrupted by a signal */
		alarms = 0;
		struct itimerval it = {.it_value = {.tv_usec = 50000}};
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
		CHECK_ERRNO(recv(sv[0], buf, sizeof(buf), 0), EINTR);
		CHECK_EQ(alarms, 1);
		/* a blocked send on a full socket too */
		int one = 1;
		CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) == 0);
		CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
		while (send(sv[0], buf, 16, 0) > 0)
			;
		CHECK_EQ(errno, EAGAIN);
		CHECK(fcntl(sv[0], F_SETFL, 0) == 0);
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
		CHECK_ERRNO(send(sv[0], buf, 16, 0), EINTR);
		CHECK_EQ(alarms, 2);
		/* with SA_RESTART the blocked recv resumes and gets the data */
		struct sigaction rs = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
		CHECK(sigaction(SIGALRM, &rs, NULL) == 0);
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			usleep(150000);
			CHECK_EQ(send(sv[0], "r", 1, MSG_DONTWAIT), -1);
			char d[4096];
			while (recv(sv[1], d, sizeof(d), MSG_DONTWAIT) > 0)
				;
			CHECK_EQ(send(sv[1], "restarted", 9, 0), 9);
			_exit(0);
		}
		CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
		CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 9);
		CHECK(memcmp(buf, "restarted", 9) == 0);
		CHECK_EQ(alarms, 3);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok block-interrupt %s\n", names[i]);
	}
}

static void waitall(void)
{
	int sv[2];
	pair(SOCK_STREAM, sv);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		static char big[200000];
		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)(i * 13 + i / 253);
		for (size_t off = 0; off < sizeof(big); off += 7000) {
			size_t n = sizeof(big) - off < 7000 ? sizeof(big) - off : 7000;
			CHECK_EQ(send(sv[1], big + off, n, 0), (ssize_t)n);
			usleep(1000);
		}
		_exit(0);
	}
	static char got[200000];
	CHECK_EQ(recv(sv[0], got, sizeof(got), MSG_WAITALL), sizeof(got));
	for (size_t i = 0; i < sizeof(got); i++)
		CHECK(got[i] == (char)(i * 13 + i / 253));
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* WAITALL returns short at the end of the stream */
	CHECK_EQ(send(sv[1], "tail", 4, 0), 4);
	CHECK(shutdown(sv[1], SHUT_WR) == 0);
	CHECK_EQ(recv(sv[0], got, 100, MSG_WAITALL), 4);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("waitall");
}

static void epoll_readiness(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		pair(types[i], sv);
		int ep = epoll_create1(0);
		CHECK(ep >= 0);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 7};
		CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == 0);
		struct epoll_event out[2];
		CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			usleep(30000);
			CHECK_EQ(send(sv[1], "e", 1, 0), 1);
			_exit(0);
		}
		CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u32, 7);
		/* edge-triggered: nothing new until the next change */
		CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (types[i] != SOCK_DGRAM) {
			CHECK(shutdown(sv[1], SHUT_WR) == 0);
			CHECK_EQ(epoll_wait(ep, out, 2, 1000), 1);
			CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP);
			CHECK(close(sv[1]) == 0);
			CHECK_EQ(epoll_wait(ep, out, 2, 1000), 1);
			CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
		} else {
			CHECK(close(sv[1]) == 0);
		}
		/* a full socket becomes writable once drained */
		int a[2];
		pair(types[i], a);
		CHECK(fcntl(a[0], F_SETFL, O_NONBLOCK) == 0);
		ev.events = EPOLLOUT;
		CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev) == 0);
		CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
		char buf[512];
		while (send(a[0], buf, sizeof(buf), 0) > 0)
			;
		CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			usleep(30000);
			while (recv(a[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			_exit(0);
		}
		CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
		CHECK_EQ(out[0].events, EPOLLOUT);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(close(a[0]) == 0 && close(a[1]) == 0);
		CHECK(close(sv[0]) == 0 && close(ep) == 0);
		printf("ok epoll %s\n", names[i]);
	}
	/* select sees a readable socket */
	int sv[2];
	pair(SOCK_STREAM, sv);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(sv[0], &r);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(sv[0] + 1, &r, NULL, NULL, &tv), 0);
	CHECK_EQ(write(sv[1], "s", 1), 1);
	FD_SET(sv[0], &r);
	CHECK_EQ(select(sv[0] + 1, &r, NULL, NULL, &tv), 1);
	CHECK(FD_ISSET(sv[0], &r));
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("select");
}

static void options_and_names(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2];
		pair(types[i], sv);
		struct stat st, st1;
		CHECK(fstat(sv[0], &st) == 0);
		CHECK(S_ISSOCK(st.st_mode));
		CHECK(fstat(sv[1], &st1) == 0);
		CHECK(st.st_ino != st1.st_ino);
		/* /proc names it socket:[ino], and stat through it agrees */
		char path[64], link[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
		ssize_t ln = readlink(path, link, sizeof(link) - 1);
		CHECK(ln > 8);
		link[ln] = 0;
		CHECK(strncmp(link, "socket:[", 8) == 0);
		CHECK_EQ(strtoul(link + 8, NULL, 10), st.st_ino);
		CHECK(stat(path, &st1) == 0 && S_ISSOCK(st1.st_mode) && st1.st_ino == st.st_ino);
		int v = -1;
		socklen_t len = sizeof(v);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len) == 0);
		CHECK_EQ(v, types[i]);
		CHECK_EQ(len, sizeof(int));
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len) == 0);
		CHECK_EQ(v, AF_UNIX);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0);
		CHECK_EQ(v, 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0);
		CHECK_EQ(v, 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len) == 0);
		CHECK_EQ(v, 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0);
		CHECK(v > 4096);
		v = 5000;
		CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0);
		CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0);
		CHECK_EQ(v, 10000);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len) == 0);
		CHECK_EQ(v, 10000);
		v = 1;
		CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0);
		CHECK_EQ(v, 4608);
		CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
		CHECK(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)) == 0);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, &len) == 0);
		CHECK_EQ(v, 1);
		/* a short buffer gets a prefix, the length says so */
		char c = 0;
		len = 1;
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &c, &len) == 0);
		CHECK_EQ(len, 1);
		CHECK_EQ(c, types[i]);
		struct ucred cr;
		len = sizeof(cr);
		CHECK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0);
		CHECK_EQ(len, sizeof(cr));
		CHECK_EQ(cr.pid, getpid());
		CHECK_EQ(cr.uid, geteuid());
		CHECK_EQ(cr.gid, getegid());
		/* unnamed: sun_family only */
		struct sockaddr_un sa;
		len = sizeof(sa);
		memset(&sa, 0x55, sizeof(sa));
		CHECK(getsockname(sv[0], (struct sockaddr *)&sa, &len) == 0);
		CHECK_EQ(len, sizeof(sa_family_t));
		CHECK_EQ(sa.sun_family, AF_UNIX);
		len = sizeof(sa);
		CHECK(getpeername(sv[0], (struct sockaddr *)&sa, &len) == 0);
		CHECK_EQ(len, sizeof(sa_family_t));
		CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok options %s\n", names[i]);
	}
	/* not sockets, bad types */
	int p[2], sv[2];
	CHECK(pipe(p) == 0);
	int v;
	socklen_t len = sizeof(v);
	CHECK_ERRNO(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
	CHECK_ERRNO(send(p[1], "x", 1, 0), ENOTSOCK);
	CHECK_ERRNO(shutdown(p[0], SHUT_RD), ENOTSOCK);
	CHECK_ERRNO(send(999, "x", 1, 0), EBADF);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	CHECK_ERRNO(socketpair(AF_UNIX, 42, 0, sv), EINVAL);
	CHECK_ERRNO(socketpair(AF_UNIX, SOCK_RDM, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 7, sv), EPROTONOSUPPORT);
	CHECK_ERRNO(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 8L), EFAULT);
	PASS("not-sockets");
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void timeouts(void)
{
	int sv[2];
	char buf[16];
	pair(SOCK_STREAM, sv);
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000}, got;
	socklen_t len = sizeof(got);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0);
	CHECK_EQ(len, sizeof(got));
	CHECK(got.tv_sec == 0 && got.tv_usec == 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0);
	CHECK(got.tv_sec == 0 && got.tv_usec == 100000);
	CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 8), EINVAL);
	struct timeval bad = {.tv_sec = 1, .tv_usec = 1000000};
	CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof(bad)), EDOM);
	/* a receive gives up with EAGAIN after the timeout */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERRNO(recv(sv[0], buf, sizeof(buf), 0), EAGAIN);
	long ms = elapsed_ms(&t0);
	CHECK(ms >= 90 && ms < 5000);
	/* data before the timeout is received */
	CHECK_EQ(send(sv[1], "in", 2, 0), 2);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 2);
	/* with a timeout, a signal interrupts even under SA_RESTART */
	struct sigaction rs = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	CHECK(sigaction(SIGALRM, &rs, NULL) == 0);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	struct itimerval it = {.it_value = {.tv_usec = 50000}};
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	CHECK_ERRNO(recv(sv[0], buf, sizeof(buf), 0), EINTR);
	/* a send to a full socket gives up too */
	int one = 1;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) == 0);
	tv.tv_sec = 0;
	tv.tv_usec = 50000;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
	ssize_t w;
	while ((w = send(sv[0], buf, sizeof(buf), 0)) > 0)
		;
	CHECK_EQ(errno, EAGAIN);
	/* SO_LINGER is kept */
	struct linger lg = {.l_onoff = 1, .l_linger = 3}, lgot;
	len = sizeof(lgot);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lgot, &len) == 0);
	CHECK_EQ(lgot.l_onoff, 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lgot, &len) == 0);
	CHECK(lgot.l_onoff == 1 && lgot.l_linger == 3);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("timeouts");
}

static void mmsg(void)
{
	int sv[2];
	pair(SOCK_DGRAM, sv);
	char out[3][8] = {"one", "two!", "three"}, in[4][8];
	struct iovec ov[3], iv[4];
	struct mmsghdr om[3], im[4];
	memset(om, 0, sizeof(om));
	memset(im, 0, sizeof(im));
	for (int i = 0; i < 3; i++) {
		ov[i] = (struct iovec){out[i], strlen(out[i])};
		om[i].msg_hdr.msg_iov = &ov[i];
		om[i].msg_hdr.msg_iovlen = 1;
	}
	for (int i = 0; i < 4; i++) {
		iv[i] = (struct iovec){in[i], sizeof(in[i])};
		im[i].msg_hdr.msg_iov = &iv[i];
		im[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(sv[0], om, 0, 0), 0);
	CHECK_EQ(sendmmsg(sv[0], om, 3, 0), 3);
	CHECK_EQ(om[0].msg_len, 3);
	CHECK_EQ(om[2].msg_len, 5);
	/* MSG_WAITFORONE: three are there, the fourth is not waited for */
	CHECK_EQ(recvmmsg(sv[1], im, 4, MSG_WAITFORONE, NULL), 3);
	CHECK_EQ(im[0].msg_len, 3);
	CHECK_EQ(im[1].msg_len, 4);
	CHECK_EQ(im[2].msg_len, 5);
	CHECK(memcmp(in[1], "two!", 4) == 0);
	CHECK_ERRNO(recvmmsg(sv[1], im, 4, MSG_DONTWAIT, NULL), EAGAIN);
	/* a timeout is checked after each message */
	CHECK_EQ(sendmmsg(sv[0], om, 2, 0), 2);
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 1};
	usleep(1000);
	CHECK_EQ(recvmmsg(sv[1], im, 4, 0, &ts), 1);
	CHECK_EQ(recvmmsg(sv[1], im, 4, MSG_DONTWAIT, NULL), 1);
	struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000};
	CHECK_ERRNO(recvmmsg(sv[1], im, 4, 0, &bad), EINVAL);
	/* an error before any message went is the result */
	CHECK(close(sv[1]) == 0);
	CHECK_ERRNO(sendmmsg(sv[0], om, 3, 0), ECONNREFUSED);
	CHECK(close(sv[0]) == 0);
	PASS("mmsg");
}

int main(void)
{
	int failed = 0;
	failed |= run_group("data-both-ways", data_both_ways, 20);
	failed |= run_group("boundaries", boundaries, 20);
	failed |= run_group("shutdown-close", shutdown_and_close, 20);
	failed |= run_group("nonblock-fill", nonblock_and_fill, 20);
	failed |= run_group("block-interrupt", block_and_interrupt, 20);
	failed |= run_group("waitall", waitall, 20);
	failed |= run_group("epoll", epoll_readiness, 20);
	failed |= run_group("options", options_and_names, 20);
	failed |= run_group("timeouts", timeouts, 20);
	failed |= run_group("mmsg", mmsg, 20);
	return failed;
}
