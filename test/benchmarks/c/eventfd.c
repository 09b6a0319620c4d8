/* eventfd: nanoseconds per eventfd round trip between two threads (each
 * side blocks in read(2) on its eventfd until the other writes it). */
#include "evpingpong.h"

static void side_init(int side, int fd)
{
	(void)side, (void)fd;
}

static void await_fd(int side, int fd)
{
	(void)side, (void)fd; /* the read blocks */
}

int main(int argc, char **argv)
{
	return evpingpong_main(argc, argv, 20000);
}
