/* sigstack: several signals that become deliverable at once each get a
 * handler frame, stacked: the signal taken last (the higher number) runs
 * first, unless the first handler's sa_mask blocks it, in which case it
 * runs when that handler returns.
 */
#include "test.h"

static int order[8], norder;
static void record(int sig) { order[norder++] = sig; }

static void run(int mask_usr2_in_usr1)
{
	struct sigaction sa = {.sa_handler = record};
	if (mask_usr2_in_usr1)
		sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &s, &old) == 0);
	CHECK(raise(SIGUSR2) == 0);
	CHECK(raise(SIGUSR1) == 0);
	norder = 0;
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	printf("order:");
	for (int i = 0; i < norder; i++)
		printf(" %s", order[i] == SIGUSR1 ? "USR1" : "USR2");
	printf("\n");
}

int main(void)
{
	run(0);
	run(1);
	return 0;
}
