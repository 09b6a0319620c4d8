/* scm: control messages on AF_UNIX sockets: SCM_RIGHTS passes files (any
 * kind, across processes, several per message, MSG_CTRUNC and the files
 * dropped when the buffer is short, MSG_CMSG_CLOEXEC, MSG_PEEK, files
 * closed with an unread queue, bad headers and descriptors) and
 * SCM_CREDENTIALS with SO_PASSCRED (implicit, explicit, EPERM for a lie),
 * hostile lengths and pointers in sendmsg and the other calls, and the
 * collection of sockets in flight that nobody can receive. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
static const char *names[] = {"stream", "dgram", "seqpacket"};

/* send_fds sends data with n descriptors. */
static ssize_t send_fds(int s, const char *data, const int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec v = {(void *)data, strlen(data)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	if (n > 0) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(s, &m, 0);
}

/* recv_fds receives into buf and returns the descriptors that came in
 * fds (up to max), their count in *n and msg_flags in *flags. ctlspace
 * is the control buffer's size. */
static ssize_t recv_fds(int s, char *buf, size_t len, int *fds, int *n, int *flags, size_t ctlspace, int rflags)
{
	char ctl[512];
	struct iovec v = {buf, len};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctlspace ? ctl : NULL,
			   .msg_controllen = ctlspace};
	ssize_t r = recvmsg(s, &m, rflags);
	*n = 0;
	if (r < 0)
		return r;
	*flags = m.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		CHECK_EQ(c->cmsg_level, SOL_SOCKET);
		CHECK_EQ(c->cmsg_type, SCM_RIGHTS);
		int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds + *n, CMSG_DATA(c), k * sizeof(int));
		*n += k;
	}
	return r;
}

static void rights(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2], p[2], fds[8], n, flags;
		char buf[16];
		CHECK(socketpair(AF_UNIX, types[i], 0, sv) == 0);
		CHECK(pipe(p) == 0);
		/* the write end goes over; the copy works and shares the pipe */
		CHECK_EQ(send_fds(sv[0], "w", &p[1], 1), 1);
		CHECK(close(p[1]) == 0);
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 512, 0), 1);
		CHECK_EQ(n, 1);
		CHECK_EQ(flags, 0);
		CHECK_EQ(fcntl(fds[0], F_GETFD), 0);
		CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_WRONLY);
		CHECK_EQ(write(fds[0], "via", 3), 3);
		CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
		CHECK(memcmp(buf, "via", 3) == 0);
		/* the last writer was the received copy */
		CHECK(close(fds[0]) == 0);
		CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
		CHECK(close(p[0]) == 0);

		/* three at once, with MSG_CMSG_CLOEXEC */
		int e[3];
		for (int k = 0; k < 3; k++)
			CHECK((e[k] = eventfd(k + 1, 0)) >= 0);
		CHECK_EQ(send_fds(sv[0], "three", e, 3), 5);
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 512, MSG_CMSG_CLOEXEC), 5);
		CHECK_EQ(n, 3);
		for (int k = 0; k < 3; k++) {
			uint64_t v;
			CHECK_EQ(fcntl(fds[k], F_GETFD), FD_CLOEXEC);
			CHECK_EQ(read(fds[k], &v, 8), 8);
			CHECK_EQ(v, k + 1);
			CHECK(close(fds[k]) == 0);
		}

		/* room for one of three: MSG_CTRUNC, the others are closed */
		CHECK_EQ(send_fds(sv[0], "cut", e, 3), 3);
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, CMSG_LEN(sizeof(int)), 0), 3);
		CHECK_EQ(n, 1);
		CHECK(flags & MSG_CTRUNC);
		CHECK(close(fds[0]) == 0);
		/* no control buffer at all */
		CHECK_EQ(send_fds(sv[0], "none", e, 2), 4);
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 0, 0), 4);
		CHECK_EQ(n, 0);
		CHECK(flags & MSG_CTRUNC);

		/* MSG_PEEK hands out copies and leaves the message */
		CHECK_EQ(send_fds(sv[0], "pk", &e[0], 1), 2);
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 512, MSG_PEEK), 2);
		CHECK_EQ(n, 1);
		int peeked = fds[0];
		CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 512, 0), 2);
		CHECK_EQ(n, 1);
		CHECK(fds[0] != peeked);
		CHECK(close(fds[0]) == 0 && close(peeked) == 0);
		for (int k = 0; k < 3; k++)
			CHECK(close(e[k]) == 0);

		/* a file left unread is closed with the receiving socket */
		CHECK(pipe(p) == 0);
		CHECK_EQ(send_fds(sv[0], "x", &p[1], 1), 1);
		CHECK(close(p[1]) == 0);
		CHECK(close(sv[1]) == 0);
		CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
		CHECK(close(p[0]) == 0 && close(sv[0]) == 0);
		printf("ok rights %s\n", names[i]);
	}
}

static void rights_stream_boundary(void)
{
	/* a stream read stops after the bytes that carried files */
	int sv[2], fds[8], n, flags;
	char buf[16];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	int e = eventfd(0, 0);
	CHECK(e >= 0);
	CHECK_EQ(send_fds(sv[0], "ab", &e, 1), 2);
	CHECK_EQ(send(sv[0], "cd", 2, 0), 2);
	CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds, &n, &flags, 512, 0), 2);
	CHECK_EQ(n, 1);
	CHECK(memcmp(buf, "ab", 2) == 0);
	CHECK_EQ(recv_fds(sv[1], buf, sizeof(buf), fds + 1, &n, &flags, 512, 0), 2);
	CHECK_EQ(n, 0);
	CHECK(memcmp(buf, "cd", 2) == 0);
	CHECK(close(fds[0]) == 0 && close(e) == 0);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("stream-boundary");
}

static void rights_across_fork(void)
{
	int sv[2], fds[8], n, flags;
	char buf[16];
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		int fd = open("scm-file", O_CREAT | O_RDWR | O_TRUNC, 0600);
		CHECK(fd >= 0);
		CHECK_EQ(write(fd, "from child", 10), 10);
		CHECK_EQ(send_fds(sv[1], "f", &fd, 1), 1);
		_exit(0);
	}
	CHECK(close(sv[1]) == 0);
	CHECK_EQ(recv_fds(sv[0], buf, sizeof(buf), fds, &n, &flags, 512, 0), 1);
	CHECK_EQ(n, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the description, offset included, came over */
	CHECK_EQ(lseek(fds[0], 0, SEEK_CUR), 10);
	CHECK_EQ(pread(fds[0], buf, 10, 0), 10);
	CHECK(memcmp(buf, "from child", 10) == 0);
	CHECK(close(fds[0]) == 0);
	CHECK(unlink("scm-file") == 0);
	CHECK(close(sv[0]) == 0);
	PASS("across-fork");
}

static void bad_control(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	char ctl[CMSG_SPACE(sizeof(int) * 256)];
	struct iovec v = {"x", 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl};
	struct cmsghdr *c = (struct cmsghdr *)ctl;
	memset(ctl, 0, sizeof(ctl));
	/* a bad descriptor */
	int bad = 999;
	m.msg_controllen = CMSG_SPACE(sizeof(int));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &bad, sizeof(int));
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EBADF);
	/* a length past the buffer, a length shorter than the header */
	c->cmsg_len = CMSG_SPACE(sizeof(int)) + 8;
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = 4;
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	/* an unknown type at SOL_SOCKET */
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	/* more than SCM_MAX_FD (253) files */
	int fds[256];
	for (int k = 0; k < 256; k++)
		fds[k] = sv[1];
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * 254);
	m.msg_controllen = CMSG_SPACE(sizeof(int) * 254);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * 254);
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	/* too many iovecs */
	static struct iovec many[1025];
	struct msghdr mm = {.msg_iov = many, .msg_iovlen = 1025};
	CHECK_ERRNO(sendmsg(sv[0], &mm, 0), EMSGSIZE);
	char buf[4];
	CHECK_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("bad-control");
}

/* a socket sent into its own queue and closed everywhere else can never
 * be received: it is collected (Linux's unix_gc), and the files its queue
 * held are closed with it */
static void collect_cycle(void)
{
	int sv[2], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(p) == 0);
	int fds[2] = {sv[1], p[1]};
	CHECK_EQ(send_fds(sv[0], "c", fds, 2), 1);
	CHECK(close(p[1]) == 0);
	CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
	/* a later release runs the collector */
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(t >= 0 && close(t) == 0);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 10000), 1);
	CHECK(pf.revents & POLLHUP);
	char b;
	CHECK_EQ(read(p[0], &b, 1), 0);
	CHECK(close(p[0]) == 0);
	PASS("collect-cycle");
}

/* hostile arguments are refused with Linux's errors, and a bad buffer
 * takes no data */
static void hostile(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	char ctl[64], b[8];
	memset(ctl, 0, sizeof(ctl));
	struct iovec v = {"x", 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = 1L << 40};
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), ENOBUFS);
	m.msg_controllen = 1 << 20;
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), ENOBUFS);
	m.msg_control = (void *)8;
	m.msg_controllen = 32;
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EFAULT);
	/* shorter than a header: no control message at all */
	m.msg_control = ctl;
	m.msg_controllen = 8;
	CHECK_EQ(sendmsg(sv[0], &m, 0), 1);
	CHECK_ERRNO(sendmsg(sv[0], (struct msghdr *)8, 0), EFAULT);
	CHECK_ERRNO(send(sv[0], (void *)8, 10, 0), EFAULT);
	struct iovec neg[2] = {{"x", 1}, {"y", (size_t)-1}};
	struct msghdr mn = {.msg_iov = neg, .msg_iovlen = 2};
	CHECK_ERRNO(sendmsg(sv[0], &mn, 0), EINVAL);
	CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
	CHECK_ERRNO(recv(sv[1], (void *)8, 10, 0), EFAULT);
	CHECK_EQ(recv(sv[1], b, sizeof(b), 0), 3);
	CHECK(memcmp(b, "xab", 3) == 0);
	int val;
	CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &val, (socklen_t *)8), EFAULT);
	CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &val, -1), EINVAL);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(bind(d, (struct sockaddr *)&sa, 0x7fffffff), EINVAL);
	socklen_t l = -1;
	CHECK_ERRNO(getsockname(d, (struct sockaddr *)&sa, &l), EINVAL);
	l = 16;
	CHECK_ERRNO(getsockname(d, (struct sockaddr *)8, &l), EFAULT);
	struct msghdr big = {.msg_iov = &v, .msg_iovlen = 1, .msg_name = &sa, .msg_namelen = 200};
	CHECK_ERRNO(sendmsg(d, &big, 0), EINVAL);
	CHECK_ERRNO(sendto(d, "x", 1, 0, (struct sockaddr *)&sa, -1), EINVAL);
	CHECK(close(d) == 0 && close(sv[0]) == 0 && close(sv[1]) == 0);
	PASS("hostile");
}

/* recv_cred receives one message and returns its credentials. */
static ssize_t recv_cred(int s, struct ucred *cr, int *have)
{
	char buf[16], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	ssize_t r = recvmsg(s, &m, 0);
	*have = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); r >= 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct ucred)));
			memcpy(cr, CMSG_DATA(c), sizeof(*cr));
			*have = 1;
		}
	}
	return r;
}

static ssize_t send_cred(int s, const struct ucred *cr)
{
	char ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec v = {"c", 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	memcpy(CMSG_DATA(c), cr, sizeof(*cr));
	return sendmsg(s, &m, 0);
}

static void credentials(void)
{
	for (int i = 0; i < 3; i++) {
		int sv[2], have, one = 1;
		struct ucred cr;
		CHECK(socketpair(AF_UNIX, types[i], 0, sv) == 0);
		/* without SO_PASSCRED nothing comes */
		CHECK_EQ(send(sv[0], "a", 1, 0), 1);
		CHECK_EQ(recv_cred(sv[1], &cr, &have), 1);
		CHECK_EQ(have, 0);
		/* with it, every message says who sent it */
		CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0);
		CHECK_EQ(send(sv[0], "b", 1, 0), 1);
		CHECK_EQ(recv_cred(sv[1], &cr, &have), 1);
		CHECK_EQ(have, 1);
		CHECK_EQ(cr.pid, getpid());
		CHECK_EQ(cr.uid, getuid());
		CHECK_EQ(cr.gid, getgid());
		/* explicit, true credentials */
		struct ucred mine = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
		CHECK_EQ(send_cred(sv[0], &mine), 1);
		CHECK_EQ(recv_cred(sv[1], &cr, &have), 1);
		CHECK_EQ(have, 1);
		CHECK_EQ(cr.pid, getpid());
		/* a process without privileges cannot claim another's */
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			CHECK(setgid(65534) == 0 && setuid(65534) == 0);
			struct ucred lie = {.pid = getpid(), .uid = 0, .gid = 65534};
			CHECK_ERRNO(send_cred(sv[0], &lie), EPERM);
			lie.uid = 65534;
			lie.pid = getppid();
			CHECK_ERRNO(send_cred(sv[0], &lie), EPERM);
			lie.pid = getpid();
			CHECK_EQ(send_cred(sv[0], &lie), 1);
			_exit(0);
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK_EQ(recv_cred(sv[1], &cr, &have), 1);
		CHECK_EQ(have, 1);
		CHECK_EQ(cr.pid, pid);
		CHECK_EQ(cr.uid, 65534);
		/* a short control buffer truncates */
		CHECK_EQ(send(sv[0], "t", 1, 0), 1);
		char buf[4], ctl[CMSG_LEN(4)];
		struct iovec v = {buf, sizeof(buf)};
		struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
		CHECK_EQ(recvmsg(sv[1], &m, 0), 1);
		CHECK(m.msg_flags & MSG_CTRUNC);
		CHECK(close(sv[0]) == 0 && close(sv[1]) == 0);
		printf("ok credentials %s\n", names[i]);
	}
}

int main(void)
{
	int failed = 0;
	failed |= run_group("rights", rights, 20);
	failed |= run_group("stream-boundary", rights_stream_boundary, 20);
	failed |= run_group("across-fork", rights_across_fork, 20);
	failed |= run_group("bad-control", bad_control, 20);
	failed |= run_group("credentials", credentials, 20);
	failed |= run_group("hostile", hostile, 20);
	failed |= run_group("collect-cycle", collect_cycle, 20);
	return failed;
}
