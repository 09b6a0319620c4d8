/* vfork: the child shares the parent's memory and the parent is
 * suspended until the child exits or execs. */
#include "test.h"

#include <sys/wait.h>

int main(void)
{
	volatile int touched = 0;
	fflush(stdout);
	pid_t pid = vfork();
	CHECK(pid >= 0);
	if (pid == 0) {
		touched = 1; /* shared memory until _exit */
		_exit(7);
	}
	CHECK_EQ(touched, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	PASS("vfork-exit");

	/* vfork + execve: the parent resumes once the child has exec'd */
	touched = 0;
	fflush(stdout);
	pid = vfork();
	CHECK(pid >= 0);
	if (pid == 0) {
		touched = 2;
		char *argv[] = {"/bin/true", NULL};
		char *envp[] = {NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	CHECK_EQ(touched, 2);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("vfork-exec");
	return 0;
}
