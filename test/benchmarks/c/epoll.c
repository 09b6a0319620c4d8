/* epoll: nanoseconds per epoll round trip between two threads: each side
 * sleeps in epoll_wait on its eventfd until the other writes it, then
 * reads it (what an event loop does per wake-up). */
#include "evpingpong.h"

#include <sys/epoll.h>

static int ep[2];

static void side_init(int side, int fd)
{
	if ((ep[side] = epoll_create1(EPOLL_CLOEXEC)) < 0)
		DIE("epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (epoll_ctl(ep[side], EPOLL_CTL_ADD, fd, &ev) != 0)
		DIE("epoll_ctl");
}

static void await_fd(int side, int fd)
{
	struct epoll_event ev;
	int n;
	while ((n = epoll_wait(ep[side], &ev, 1, -1)) < 0 && errno == EINTR)
		;
	if (n != 1 || ev.data.fd != fd)
		DIE("epoll_wait");
}

int main(int argc, char **argv)
{
	return evpingpong_main(argc, argv, 20000);
}
