/* futex: nanoseconds per futex ping-pong round trip between two threads
 * (each side sleeps in FUTEX_WAIT and is woken by the other). */
#include "pingpong.h"

#include <linux/futex.h>
#include <sys/syscall.h>

static void wait_while(int val)
{
	while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) == val)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void wake(void)
{
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv)
{
	return pingpong_main(argc, argv, 50000);
}
