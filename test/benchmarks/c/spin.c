/* spin: nanoseconds per round trip of a token bounced between two
 * spinning threads through one cache line: the floor of a handoff that
 * never sleeps. */
#include "pingpong.h"

static void wait_while(int val)
{
	while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == val)
		__builtin_ia32_pause();
}

static void wake(void)
{
}

int main(int argc, char **argv)
{
	return pingpong_main(argc, argv, 1000000);
}
