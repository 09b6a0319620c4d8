/* fork: fork, exit codes, wait4/waitpid (WNOHANG, ECHILD,
 * WIFSIGNALED), execve (of /bin/true, of a missing file, with argv and
 * envp), and getpid/getppid across fork. */
#include "test.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

/* child_main is what the program does when re-executed as "exec-child":
 * it checks the exact argv and environment execve gave it. */
static int child_main(int argc, char **argv)
{
	CHECK_EQ(argc, 5);
	CHECK(strcmp(argv[1], "exec-child") == 0);
	CHECK(strcmp(argv[2], "two words") == 0);
	CHECK(strcmp(argv[3], "") == 0);
	CHECK(strcmp(argv[4], "last") == 0);
	CHECK(argv[5] == NULL);
	int n = 0;
	for (char **e = environ; *e; e++)
		n++;
	CHECK_EQ(n, 2);
	CHECK(strcmp(environ[0], "COCOON_A=1") == 0);
	CHECK(strcmp(environ[1], "COCOON_EMPTY=") == 0);
	CHECK(getenv("PATH") == NULL);
	return 33;
}

static int wait_exit(pid_t pid)
{
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return child_main(argc, argv);
	CHECK(argv[0][0] == '/'); /* the harness runs us by absolute path */

	/* no children yet */
	CHECK_ERRNO(wait4(-1, NULL, 0, NULL), ECHILD);
	CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
	PASS("echild");

	/* exit codes, and pid relations seen from both sides */
	int p[2];
	CHECK(pipe(p) == 0);
	pid_t me = getpid();
	int codes[] = {0, 1, 42, 255, 256 + 3};
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			pid_t ids[2] = {getpid(), getppid()};
			write_all(p[1], ids, sizeof(ids));
			_exit(codes[i]);
		}
		pid_t ids[2];
		read_full(p[0], ids, sizeof(ids));
		CHECK_EQ(ids[0], pid);
		CHECK_EQ(ids[1], me);
		CHECK(pid != me);
		CHECK_EQ(wait_exit(pid), codes[i] & 0xff);
	}
	CHECK_EQ(getpid(), me);
	CHECK_EQ(syscall(SYS_getpid), me);
	CHECK_EQ(syscall(SYS_gettid), me);
	PASS("exit-codes");

	/* a child killed by a signal */
	int sigs[] = {SIGKILL, SIGTERM, SIGUSR1};
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			kill(getpid(), sigs[i]);
			_exit(100);
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status));
		CHECK(!WIFEXITED(status));
		CHECK_EQ(WTERMSIG(status), sigs[i]);
	}
	PASS("wifsignaled");

	/* WNOHANG on a running child returns 0; the parent kills it */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1); /* blocks until the parent writes */
		_exit(c);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
	CHECK_EQ(wait4(pid, &status, WNOHANG, NULL), 0);
	CHECK_EQ(write(p[1], "\x05", 1), 1);
	struct rusage ru;
	CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	CHECK_ERRNO(waitpid(pid, &status, WNOHANG), ECHILD);
	PASS("wnohang");

	/* wait for any of several children */
	for (int i = 0; i < 3; i++) {
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(10 + i);
	}
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		CHECK(wait(&status) > 0);
		CHECK(WIFEXITED(status));
		int c = WEXITSTATUS(status);
		CHECK(c >= 10 && c < 13);
		seen |= 1 << (c - 10);
	}
	CHECK_EQ(seen, 7);
	CHECK_ERRNO(wait(&status), ECHILD);
	PASS("wait-any");


	/* execve of a missing file fails in the caller */
	char *nargv[] = {"nope", NULL};
	char *nenv[] = {NULL};
	CHECK_ERRNO(execve("/nonexistent/cocoon-test-binary", nargv, nenv), ENOENT);
	CHECK_ERRNO(execve("/tmp", nargv, nenv), EACCES);
	PASS("execve-enoent");

	/* execve of /bin/true and /bin/false */
	char *tenv[] = {"PATH=/bin", NULL};
	const char *progs[] = {"/bin/true", "/bin/false"};
	for (int i = 0; i < 2; i++) {
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			char *targv[] = {(char *)progs[i], NULL};
			execve(progs[i], targv, tenv);
			_exit(99);
		}
		CHECK_EQ(wait_exit(pid), i);
	}
	PASS("execve-true");

	/* execve passes argv and envp exactly */
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *cargv[] = {argv[0], "exec-child", "two words", "", "last", NULL};
		char *cenv[] = {"COCOON_A=1", "COCOON_EMPTY=", NULL};
		execve(argv[0], cargv, cenv);
		_exit(98);
	}
	CHECK_EQ(wait_exit(pid), 33);
	PASS("execve-argv-envp");

	return 0;
}
