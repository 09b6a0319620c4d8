/* forkexec: nanoseconds per fork + execve("/bin/true") + waitpid. */
#include "bench.h"

#include <sys/wait.h>
#include <unistd.h>

static void once(void)
{
	pid_t pid = fork();
	if (pid < 0)
		DIE("fork");
	if (pid == 0) {
		char *argv[] = {"/bin/true", NULL};
		char *envp[] = {NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		DIE("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "forkexec: child status %#x\n", status);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	long n = iterations(argc, argv, 200);
	MEASURE(n, once());
	return 0;
}
