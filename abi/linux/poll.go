package linux

// Poll events, as in poll(2) (asm-generic/poll.h); epoll uses the same low
// bits. x/sys/unix lacks the *NORM and *BAND ones.
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLRDBAND = 0x80
	POLLWRNORM = 0x100
	POLLWRBAND = 0x200
	POLLRDHUP  = 0x2000
)

// epoll(7) flags of struct epoll_event's events beyond the poll bits
// (uapi/linux/eventpoll.h).
const (
	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31

	// EPOLL_CTL_ADD, _DEL and _MOD are epoll_ctl's operations.
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3

	// EPOLL_CLOEXEC is epoll_create1's only flag.
	EPOLL_CLOEXEC = 0o2000000

	// SizeofEpollEvent is sizeof(struct epoll_event): packed on x86-64.
	SizeofEpollEvent = 12
)
