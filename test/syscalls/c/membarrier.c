/* membarrier: the commands that runtimes use (the JVM, .NET, liburcu)
 * are supported; expedited ones need their registration first; bad flags
 * and commands are refused.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "test.h"

static long membarrier(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

int main(int argc, char **argv)
{
	if (argc > 1) {
		/* After execve: not registered any more. */
		CHECK_ERRNO(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), EPERM);
		return 0;
	}
	long q = membarrier(MEMBARRIER_CMD_QUERY, 0);
	CHECK(q > 0);
	int want[] = {MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
		      MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED};
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK(q & want[i]);
	CHECK_ERRNO(membarrier(MEMBARRIER_CMD_QUERY, 1), EINVAL);
	CHECK_ERRNO(membarrier(1 << 20, 0), EINVAL);
	CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL, 0), 0);
	CHECK_ERRNO(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), EPERM);
	CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0), 0);
	CHECK_EQ(membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0), 0);
	CHECK_EQ(membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0), 0);
	CHECK_EQ(membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0), 0);

	/* Registration is the process's: a fork child's is its own (Linux
	 * keeps it for the child's copy of the mm; execve clears it). */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *argv[] = {"/proc/self/exe", "child", NULL};
		execv("/proc/self/exe", argv);
		_exit(99);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	PASS("membarrier");
	return 0;
}
