/* vforkfork: a vfork child that forks (busybox's timeout and daemonize do
 * this): the grandchild gets its own copy of memory as it was at its fork,
 * unharmed by what the vfork child and then the resumed parent write
 * afterwards, and runs to completion; repeated to catch races. */
#include "test.h"

#include <sys/wait.h>

static volatile int global = 1;
static char *heap;

/* check_memory checks that the grandchild's memory is what it was at fork
 * time, sleeping while the others scribble; 0 if so. */
static int check_memory(volatile int *stack_var, int want)
{
	for (int round = 0; round < 5; round++) {
		if (global != want || *stack_var != want || heap[0] != (char)want || heap[65535] != (char)want)
			return 1 + round;
		usleep(10000);
	}
	/* and it can write its own memory without anyone seeing it */
	global = -1;
	*stack_var = -1;
	memset(heap, 0, 65536);
	return 0;
}

int main(void)
{
	heap = malloc(65536);
	CHECK(heap != NULL);
	for (int i = 0; i < 20; i++) {
		/* the vfork child waits for the grandchild itself */
		volatile int on_stack = i;
		global = i;
		memset(heap, i, 65536);
		fflush(stdout);
		pid_t pid = vfork();
		CHECK(pid >= 0);
		if (pid == 0) {
			pid_t g = fork();
			if (g < 0)
				_exit(100);
			if (g == 0)
				_exit(check_memory(&on_stack, i));
			/* the vfork child writes the shared memory meanwhile */
			on_stack = 1000;
			global = 1000;
			memset(heap, 0x55, 65536);
			int st;
			if (waitpid(g, &st, 0) != g)
				_exit(101);
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fprintf(stderr, "round %d: grandchild exit %d\n", i, WEXITSTATUS(status));
		CHECK_EQ(WEXITSTATUS(status), 0);
		/* the vfork child's writes reached us, the grandchild's did not */
		CHECK_EQ(global, 1000);
		CHECK_EQ(on_stack, 1000);
		CHECK_EQ(heap[0], 0x55);
	}
	PASS("vfork-child-waits-for-grandchild");

	for (int i = 0; i < 20; i++) {
		/* the vfork child leaves at once; we scribble while the orphaned
		 * grandchild checks its memory, and collect its verdict through a
		 * pipe */
		int p[2];
		CHECK(pipe(p) == 0);
		volatile int on_stack = i;
		global = i;
		memset(heap, i, 65536);
		fflush(stdout);
		pid_t pid = vfork();
		CHECK(pid >= 0);
		if (pid == 0) {
			pid_t g = fork();
			if (g == 0) {
				close(p[0]);
				char verdict = (char)('0' + check_memory(&on_stack, i));
				write(p[1], &verdict, 1);
				_exit(0);
			}
			_exit(g < 0 ? 100 : 0);
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK(close(p[1]) == 0);
		volatile char scribble[16384];
		for (int j = 0; j < 50; j++) {
			for (size_t k = 0; k < sizeof(scribble); k++)
				scribble[k] = (char)k;
			on_stack = 2000 + j;
			global = 2000 + j;
			memset(heap, 0x66, 65536);
			usleep(1000);
		}
		char verdict = 0;
		ssize_t n = read(p[0], &verdict, 1);
		if (n != 1 || verdict != '0')
			fprintf(stderr, "round %d: read %zd, verdict %c\n", i, n, verdict);
		CHECK_EQ(n, 1);
		CHECK_EQ(verdict, '0');
		CHECK(close(p[0]) == 0);
		/* reap the orphan if it was given to us (we may be init) */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	PASS("grandchild-outlives-vfork-child");
	free(heap);
	return 0;
}
