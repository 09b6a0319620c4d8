/* forkpipe: forks, pipes, execs and waits, printing what it sees. Linked
 * dynamically by the e2e test and run natively and under `runsc do`; the
 * two outputs must match. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "forkpipe: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* run execs argv with stdin fed from in and returns what it printed. */
static void run(char *const argv[], const char *in, char *out, size_t outlen, int *status)
{
	int to[2], from[2];
	if (pipe(to) || pipe(from))
		die("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	size_t n = strlen(in);
	if (write(to[1], in, n) != (ssize_t)n)
		die("write");
	close(to[1]);
	size_t got = 0;
	ssize_t r;
	while (got < outlen - 1 && (r = read(from[0], out + got, outlen - 1 - got)) > 0)
		got += r;
	out[got] = '\0';
	close(from[0]);
	if (waitpid(pid, status, 0) != pid)
		die("waitpid");
}

int main(void)
{
	char out[4096];
	int status;

	char *echo[] = {"/bin/echo", "hello", "from", "a", "child", NULL};
	run(echo, "", out, sizeof(out), &status);
	printf("echo said: %s", out);
	printf("echo exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	char *sort[] = {"/usr/bin/sort", NULL};
	run(sort, "pear\napple\nfig\n", out, sizeof(out), &status);
	printf("sort said:\n%s", out);
	printf("sort exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	char *sh[] = {"/bin/sh", "-c", "read x; echo got $x; exit 3", NULL};
	run(sh, "ping\n", out, sizeof(out), &status);
	printf("sh said: %s", out);
	printf("sh exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	char *missing[] = {"/nonexistent/program", NULL};
	run(missing, "", out, sizeof(out), &status);
	printf("missing exited: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* a chain of processes: each level forks the next and waits */
	int depth = 0;
	fflush(stdout);
	for (depth = 0; depth < 5; depth++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0) {
			if (waitpid(pid, &status, 0) != pid)
				die("waitpid");
			if (depth == 0) {
				printf("chain exited: %d\n", WEXITSTATUS(status));
				fflush(stdout);
			}
			_exit(depth == 0 ? 0 : WEXITSTATUS(status) + 1);
		}
	}
	_exit(0);
}
