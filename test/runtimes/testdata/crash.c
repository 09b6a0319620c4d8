/* crash: a program that dies of SIGSEGV three calls deep, for gdb's
 * backtrace: main -> outer -> inner -> store through NULL. Built -g -O0. */
#include <stdio.h>

static volatile int *target;

void inner(int depth)
{
	printf("inner %d\n", depth);
	fflush(stdout);
	*target = depth; /* NULL: SIGSEGV */
}

void outer(int n)
{
	inner(n + 1);
}

int main(void)
{
	outer(1);
	return 0;
}
