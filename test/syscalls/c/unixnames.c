/* unixnames: AF_UNIX sockets made by socket(2) and named: bind to abstract
 * names, autobind and path names (a socket inode in the file system),
 * listen, connect, accept and accept4, the backlog, ECONNREFUSED and the
 * other errors, names seen through getsockname/getpeername/accept and
 * recvfrom, datagrams to names and connected datagram sockets. */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* abstract fills sa with an abstract name and returns its length. The
 * name carries the caller's PID: natively, abstract names are shared by
 * every test running on the host at the same time. */
static socklen_t abstract(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "%s-%d", name, (int)getpid());
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static socklen_t pathaddr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static short revents(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	CHECK(poll(&p, 1, 0) >= 0);
	return p.revents;
}

static void fresh_socket(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	CHECK(getsockname(s, (struct sockaddr *)&sa, &len) == 0);
	CHECK_EQ(len, sizeof(sa_family_t));
	len = sizeof(sa);
	CHECK_ERRNO(getpeername(s, (struct sockaddr *)&sa, &len), ENOTCONN);
	char buf[4];
	CHECK_ERRNO(send(s, "x", 1, 0), ENOTCONN);
	CHECK_ERRNO(recv(s, buf, 1, 0), EINVAL);
	CHECK_ERRNO(accept(s, NULL, NULL), EINVAL);
	CHECK_ERRNO(listen(s, 1), EINVAL); /* not bound */
	CHECK_EQ(revents(s, POLLIN | POLLOUT), POLLOUT | POLLHUP);
	CHECK(close(s) == 0);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(d >= 0);
	CHECK_ERRNO(send(d, "x", 1, 0), ENOTCONN);
	CHECK_ERRNO(listen(d, 1), EOPNOTSUPP);
	CHECK_ERRNO(accept(d, NULL, NULL), EOPNOTSUPP);
	CHECK_EQ(revents(d, POLLIN | POLLOUT), POLLOUT);
	CHECK(close(d) == 0);
	int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(q >= 0);
	CHECK_ERRNO(send(q, "x", 1, 0), ENOTCONN);
	CHECK_ERRNO(recv(q, buf, 1, 0), ENOTCONN);
	CHECK(close(q) == 0);
	CHECK_ERRNO(socket(AF_UNIX, 77, 0), EINVAL);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 3), EPROTONOSUPPORT);
	/* SOCK_RAW is a datagram socket */
	int r = socket(AF_UNIX, SOCK_RAW, 0);
	CHECK(r >= 0);
	int type;
	len = sizeof(type);
	CHECK(getsockopt(r, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
	CHECK_EQ(type, SOCK_DGRAM);
	CHECK(close(r) == 0);
}

static void bind_errors(void)
{
	struct sockaddr_un sa;
	socklen_t n = abstract(&sa, "cocoon-bind");
	int a = socket(AF_UNIX, SOCK_STREAM, 0), b = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(a >= 0 && b >= 0);
	CHECK_ERRNO(bind(a, (struct sockaddr *)&sa, 1), EINVAL);
	sa.sun_family = AF_INET;
	CHECK_ERRNO(bind(a, (struct sockaddr *)&sa, n), EINVAL);
	sa.sun_family = AF_UNIX;
	CHECK(bind(a, (struct sockaddr *)&sa, n) == 0);
	CHECK_ERRNO(bind(a, (struct sockaddr *)&sa, n), EINVAL);
	CHECK_ERRNO(bind(b, (struct sockaddr *)&sa, n), EADDRINUSE);
	/* the name is its exact bytes: one more byte is another name */
	CHECK(bind(b, (struct sockaddr *)&sa, n + 1) == 0);
	struct sockaddr_un got;
	socklen_t len = sizeof(got);
	CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, n);
	CHECK(memcmp(&got, &sa, n) == 0);
	/* a short buffer gets a prefix and the real length */
	len = 4;
	memset(&got, 0, sizeof(got));
	CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, n);
	CHECK_EQ(got.sun_path[1], 'c');
	CHECK_EQ(got.sun_path[2], 0);
	CHECK(close(a) == 0);
	/* closing frees the name */
	a = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(a, (struct sockaddr *)&sa, n) == 0);
	CHECK(close(a) == 0 && close(b) == 0);
	PASS("bind-errors");
}

static void autobind(void)
{
	int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(a >= 0 && b >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	CHECK(bind(a, (struct sockaddr *)&sa, sizeof(sa_family_t)) == 0);
	struct sockaddr_un got;
	socklen_t len = sizeof(got);
	CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK_EQ(got.sun_path[0], 0);
	for (int i = 1; i < 6; i++)
		CHECK(strchr("0123456789abcdef", got.sun_path[i]) != NULL);
	/* and it is reachable */
	CHECK_EQ(sendto(b, "auto", 4, 0, (struct sockaddr *)&got, len), 4);
	char buf[8];
	CHECK_EQ(recv(a, buf, sizeof(buf), 0), 4);
	CHECK(close(a) == 0 && close(b) == 0);
	PASS("autobind");
}

static void stream_connect(int type, const char *label)
{
	struct sockaddr_un sa;
	char name[32];
	snprintf(name, sizeof(name), "cocoon-%s", label);
	socklen_t n = abstract(&sa, name);
	int c = socket(AF_UNIX, type, 0);
	CHECK(c >= 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&sa, n), ECONNREFUSED);
	int l = socket(AF_UNIX, type, 0);
	CHECK(l >= 0);
	CHECK(bind(l, (struct sockaddr *)&sa, n) == 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&sa, n), ECONNREFUSED); /* not listening */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(connect(d, (struct sockaddr *)&sa, n), ECONNREFUSED); /* abstract names are per type */
	CHECK(close(d) == 0);
	CHECK(listen(l, 5) == 0);
	int v;
	socklen_t len = sizeof(v);
	CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(revents(l, POLLIN | POLLOUT), 0);
	CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0);
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	CHECK(fcntl(l, F_SETFL, 0) == 0);
	CHECK(connect(c, (struct sockaddr *)&sa, n) == 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&sa, n), EISCONN);
	CHECK_EQ(revents(l, POLLIN), POLLIN);
	struct sockaddr_un peer;
	len = sizeof(peer);
	int s = accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(s >= 0);
	CHECK_EQ(len, sizeof(sa_family_t)); /* the client is unnamed */
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
	CHECK_ERRNO(accept4(l, NULL, NULL, 0x4), EINVAL);
	/* names: the server end shows the listener's, as does the peer */
	struct sockaddr_un got;
	len = sizeof(got);
	CHECK(getsockname(s, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, n);
	CHECK(memcmp(&got, &sa, n) == 0);
	len = sizeof(got);
	CHECK(getpeername(c, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, n);
	CHECK(memcmp(&got, &sa, n) == 0);
	len = sizeof(got);
	CHECK(getpeername(s, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, sizeof(sa_family_t));
	/* the peers' credentials */
	struct ucred cr;
	len = sizeof(cr);
	CHECK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0);
	CHECK_EQ(cr.pid, getpid());
	CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0);
	CHECK_EQ(cr.pid, getpid());
	/* data both ways, boundaries kept for seqpacket */
	char buf[16];
	CHECK_EQ(send(c, "ab", 2, 0), 2);
	CHECK_EQ(send(c, "cd", 2, 0), 2);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), type == SOCK_STREAM ? 4 : 2);
	if (type == SOCK_SEQPACKET)
		CHECK_EQ(recv(s, buf, sizeof(buf), 0), 2);
	CHECK_EQ(send(s, "back", 4, 0), 4);
	struct sockaddr_un from;
	len = sizeof(from);
	CHECK_EQ(recvfrom(c, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4);
	CHECK_EQ(len, n); /* sent by the server end, which has the name */
	CHECK(close(s) == 0);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	CHECK(close(c) == 0);

	/* a blocking connect from another process, accepted here */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int k = socket(AF_UNIX, type, 0);
		CHECK(connect(k, (struct sockaddr *)&sa, n) == 0);
		CHECK_EQ(send(k, "child", 5, 0), 5);
		CHECK_EQ(recv(k, buf, sizeof(buf), 0), 2);
		_exit(0);
	}
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "child", 5) == 0);
	len = sizeof(cr);
	CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0);
	CHECK_EQ(cr.pid, pid);
	CHECK_EQ(send(s, "ok", 2, 0), 2);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(close(s) == 0);
	CHECK(close(l) == 0);
	printf("ok connect %s\n", label);
}

static void connect_stream(void) { stream_connect(SOCK_STREAM, "stream"); }
static void connect_seqpacket(void) { stream_connect(SOCK_SEQPACKET, "seqpacket"); }

static void backlog(void)
{
	struct sockaddr_un sa;
	socklen_t n = abstract(&sa, "cocoon-backlog");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(l, (struct sockaddr *)&sa, n) == 0);
	CHECK(listen(l, 0) == 0);
	/* backlog 0 still takes one connection; the next would wait */
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(connect(c1, (struct sockaddr *)&sa, n) == 0);
	CHECK_ERRNO(connect(c2, (struct sockaddr *)&sa, n), EAGAIN);
	/* a blocked connect goes through once the first is accepted */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(fcntl(c2, F_SETFL, 0) == 0);
		CHECK(connect(c2, (struct sockaddr *)&sa, n) == 0);
		_exit(0);
	}
	usleep(50000);
	int s1 = accept(l, NULL, NULL);
	CHECK(s1 >= 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	int s2 = accept(l, NULL, NULL);
	CHECK(s2 >= 0);
	/* a listener closed with a connection pending resets it */
	int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(c3, (struct sockaddr *)&sa, n) == 0);
	CHECK(close(l) == 0);
	char buf[4];
	CHECK_ERRNO(recv(c3, buf, sizeof(buf), 0), ECONNRESET);
	CHECK_EQ(recv(c3, buf, sizeof(buf), 0), 0);
	CHECK_ERRNO(send(c3, "x", 1, MSG_NOSIGNAL), EPIPE);
	/* and the name is free again */
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(l, (struct sockaddr *)&sa, n) == 0);
	CHECK(close(l) == 0 && close(c1) == 0 && close(c2) == 0 && close(c3) == 0);
	CHECK(close(s1) == 0 && close(s2) == 0);
	PASS("backlog");
}

static void datagrams(void)
{
	struct sockaddr_un ra, sa;
	socklen_t rn = abstract(&ra, "cocoon-dgram-r"), sn = abstract(&sa, "cocoon-dgram-s");
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(r, (struct sockaddr *)&ra, rn) == 0);
	char buf[16];
	struct sockaddr_un from;
	socklen_t len = sizeof(from);
	/* from an unnamed sender: no address */
	CHECK_EQ(sendto(s, "anon", 4, 0, (struct sockaddr *)&ra, rn), 4);
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4);
	CHECK_EQ(len, 0);
	/* from a named one: its name, also through recvmsg */
	CHECK(bind(s, (struct sockaddr *)&sa, sn) == 0);
	CHECK_EQ(sendto(s, "named", 5, 0, (struct sockaddr *)&ra, rn), 5);
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &v, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(r, &m, 0), 5);
	CHECK_EQ(m.msg_namelen, sn);
	CHECK(memcmp(&from, &sa, sn) == 0);
	/* to a name nobody holds */
	struct sockaddr_un none;
	socklen_t nn = abstract(&none, "cocoon-nobody");
	CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&none, nn), ECONNREFUSED);
	/* abstract names are per type: a stream socket's is not this one's,
	 * and the same name may be bound for a datagram socket too */
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un stn;
	socklen_t stl = abstract(&stn, "cocoon-dgram-stream");
	CHECK(bind(st, (struct sockaddr *)&stn, stl) == 0);
	CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&stn, stl), ECONNREFUSED);
	int sd = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(sd, (struct sockaddr *)&stn, stl) == 0);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&stn, stl), 1);
	CHECK_EQ(recv(sd, buf, sizeof(buf), 0), 1);
	CHECK(close(st) == 0 && close(sd) == 0);
	/* to its own name */
	CHECK_EQ(sendto(r, "self", 4, 0, (struct sockaddr *)&ra, rn), 4);
	len = sizeof(from);
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4);
	CHECK_EQ(len, rn);
	CHECK(memcmp(&from, &ra, rn) == 0);
	/* connected: sends without an address, then AF_UNSPEC disconnects */
	CHECK(connect(s, (struct sockaddr *)&ra, rn) == 0);
	len = sizeof(from);
	CHECK(getpeername(s, (struct sockaddr *)&from, &len) == 0);
	CHECK_EQ(len, rn);
	CHECK_EQ(send(s, "conn", 4, 0), 4);
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 4);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	CHECK(connect(s, &unspec, sizeof(unspec)) == 0);
	CHECK_ERRNO(send(s, "x", 1, 0), ENOTCONN);
	/* a stranger fills the queue: EAGAIN, then room once read */
	CHECK(fcntl(s, F_SETFL, O_NONBLOCK) == 0);
	int queued = 0;
	while (sendto(s, "q", 1, 0, (struct sockaddr *)&ra, rn) == 1)
		queued++;
	CHECK_EQ(errno, EAGAIN);
	CHECK(queued >= 1);
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 1);
	CHECK_EQ(sendto(s, "q", 1, 0, (struct sockaddr *)&ra, rn), 1);
	CHECK(close(r) == 0);
	/* the receiver is gone */
	CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&ra, rn), ECONNREFUSED);
	CHECK(close(s) == 0);
	PASS("datagrams");
}

static void passcred_autobind(void)
{
	/* an unnamed SO_PASSCRED sender is given a name when it sends */
	struct sockaddr_un ra;
	socklen_t rn = abstract(&ra, "cocoon-passcred");
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(r, (struct sockaddr *)&ra, rn) == 0);
	int one = 1;
	CHECK(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0);
	CHECK_EQ(sendto(s, "pc", 2, 0, (struct sockaddr *)&ra, rn), 2);
	struct sockaddr_un from, mine;
	socklen_t len = sizeof(from), mlen = sizeof(mine);
	char buf[4];
	CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 2);
	CHECK_EQ(len, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK(getsockname(s, (struct sockaddr *)&mine, &mlen) == 0);
	CHECK_EQ(mlen, len);
	CHECK(memcmp(&from, &mine, len) == 0);
	CHECK(close(r) == 0 && close(s) == 0);
	PASS("passcred-autobind");
}

static void path_names(void)
{
	struct sockaddr_un sa;
	socklen_t n = pathaddr(&sa, "sock");
	mode_t old = umask(022);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(l, (struct sockaddr *)&sa, n) == 0);
	umask(old);
	struct stat st;
	CHECK(lstat("sock", &st) == 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0755);
	CHECK_ERRNO(open("sock", O_RDWR), ENXIO);
	struct sockaddr_un got;
	socklen_t len = sizeof(got);
	CHECK(getsockname(l, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(len, n);
	CHECK_EQ(strcmp(got.sun_path, "sock"), 0);
	/* the path is taken, even for another socket */
	int b = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(bind(b, (struct sockaddr *)&sa, n), EADDRINUSE);
	/* through a symlink and a longer path */
	CHECK(symlink("sock", "link") == 0);
	CHECK(mkdir("dir", 0755) == 0);
	CHECK(listen(l, 1) == 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un la;
	socklen_t ln = pathaddr(&la, "dir/../link");
	CHECK(connect(c, (struct sockaddr *)&la, ln) == 0);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK_EQ(send(c, "p", 1, 0), 1);
	char buf[4];
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 1);
	len = sizeof(got);
	CHECK(getpeername(c, (struct sockaddr *)&got, &len) == 0);
	CHECK_EQ(strcmp(got.sun_path, "sock"), 0);
	CHECK(close(s) == 0 && close(c) == 0);
	/* a path's socket is of one type */
	int wrong = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(connect(wrong, (struct sockaddr *)&sa, n), EPROTOTYPE);
	CHECK_ERRNO(sendto(wrong, "x", 1, 0, (struct sockaddr *)&sa, n), EPROTOTYPE);
	CHECK(close(wrong) == 0);
	/* not a socket, missing */
	int fd = open("plain", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && close(fd) == 0);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ln = pathaddr(&la, "plain");
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, ln), ECONNREFUSED);
	ln = pathaddr(&la, "missing");
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, ln), ENOENT);
	ln = pathaddr(&la, "plain/x");
	CHECK_ERRNO(connect(c, (struct sockaddr *)&la, ln), ENOTDIR);
	/* the file outlives its socket: connect is refused, bind needs an
	 * unlink first */
	CHECK(close(l) == 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&sa, n), ECONNREFUSED);
	CHECK_ERRNO(bind(b, (struct sockaddr *)&sa, n), EADDRINUSE);
	CHECK(unlink("sock") == 0);
	CHECK(bind(b, (struct sockaddr *)&sa, n) == 0);
	/* datagrams to a path, with the sender's path as the source */
	struct sockaddr_un ca;
	socklen_t cn = pathaddr(&ca, "dir/client");
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(d, (struct sockaddr *)&ca, cn) == 0);
	CHECK_EQ(sendto(d, "dp", 2, 0, (struct sockaddr *)&sa, n), 2);
	len = sizeof(got);
	CHECK_EQ(recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&got, &len), 2);
	CHECK_EQ(len, cn);
	CHECK_EQ(strcmp(got.sun_path, "dir/client"), 0);
	CHECK(close(b) == 0 && close(c) == 0 && close(d) == 0);
	CHECK(unlink("sock") == 0 && unlink("link") == 0 && unlink("plain") == 0);
	CHECK(unlink("dir/client") == 0 && rmdir("dir") == 0);
	PASS("path-names");
}

int main(void)
{
	int failed = 0;
	failed |= run_group("fresh-socket", fresh_socket, 20);
	failed |= run_group("bind-errors", bind_errors, 20);
	failed |= run_group("autobind", autobind, 20);
	failed |= run_group("connect-stream", connect_stream, 20);
	failed |= run_group("connect-seqpacket", connect_seqpacket, 20);
	failed |= run_group("backlog", backlog, 20);
	failed |= run_group("datagrams", datagrams, 20);
	failed |= run_group("passcred-autobind", passcred_autobind, 20);
	failed |= run_group("path-names", path_names, 20);
	return failed;
}
