/* exec: execve of "#!" scripts (with an argument, spaces, nested), files
 * without "#!" (ENOEXEC), a missing interpreter (ENOENT), files that are not
 * executable, directories and devices (EACCES), a too-long argument (E2BIG),
 * fexecve; and what survives an exec: caught signals reset, ignored ones
 * stay ignored, the mask and pending signals stay, close-on-exec FDs go,
 * the alternate signal stack goes. */
#include "test.h"

#include <sys/syscall.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

extern char **environ;

/* run execs path with argv in a child, capturing stdout and stderr into
 * out; returns the exit status (127 and "execv errno=N" if exec failed). */
static int run(const char *path, char *const argv[], char *out, size_t n)
{
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(path, argv);
		printf("execv errno=%d\n", errno);
		fflush(stdout);
		_exit(127);
	}
	CHECK(close(p[1]) == 0);
	size_t k = 0;
	ssize_t r;
	while ((r = read(p[0], out + k, n - 1 - k)) > 0)
		k += (size_t)r;
	out[k] = '\0';
	CHECK(close(p[0]) == 0);
	int st;
	CHECK_EQ(waitpid(c, &st, 0), c);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void script(const char *name, const char *text, int mode)
{
	int f = open(name, O_CREAT | O_WRONLY | O_TRUNC, mode);
	CHECK(f >= 0);
	write_all(f, text, strlen(text));
	CHECK(fchmod(f, mode) == 0);
	CHECK(close(f) == 0);
}

/* after_exec is main when re-executed: it prints what survived. */
static int after_exec(void)
{
	struct sigaction sa;
	CHECK(sigaction(SIGUSR1, NULL, &sa) == 0);
	int caught_reset = sa.sa_handler == SIG_DFL;
	CHECK(sigaction(SIGUSR2, NULL, &sa) == 0);
	int ignored_kept = sa.sa_handler == SIG_IGN;
	sigset_t m, pend;
	CHECK(sigprocmask(SIG_BLOCK, NULL, &m) == 0);
	CHECK(sigpending(&pend) == 0);
	stack_t ss;
	CHECK(sigaltstack(NULL, &ss) == 0);
	printf("caught-reset=%d ignored-kept=%d mask-kept=%d pending-kept=%d fd20=%d fd21=%d altstack-gone=%d\n",
	       caught_reset, ignored_kept, sigismember(&m, SIGINT), sigismember(&pend, SIGINT),
	       fcntl(20, F_GETFD) >= 0, fcntl(21, F_GETFD) >= 0, ss.ss_flags == SS_DISABLE);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "after-exec") == 0)
		return after_exec();

	char out[4096];
	char dir[] = "/tmp/cocoon-exec-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chdir(dir) == 0);

	script("s1", "#!/bin/sh -e\necho \"s1 $0 $*\"\n", 0755);
	char *a1[] = {"s1", "x", "y z", NULL};
	CHECK_EQ(run("./s1", a1, out, sizeof(out)), 0);
	CHECK(strcmp(out, "s1 ./s1 x y z\n") == 0);
	/* everything after the interpreter is one argument, spaces trimmed
	 * only at the ends */
	script("s2", "#!  /bin/echo   spaced  arg  \n", 0755);
	char *a2[] = {"s2", "q", NULL};
	CHECK_EQ(run("./s2", a2, out, sizeof(out)), 0);
	CHECK(strcmp(out, "spaced  arg ./s2 q\n") == 0);
	/* a script as another script's interpreter */
	script("s3", "#!./s1\n", 0755);
	char *a3[] = {"s3", "w", NULL};
	CHECK_EQ(run("./s3", a3, out, sizeof(out)), 0);
	CHECK(strcmp(out, "s1 ./s1 ./s3 w\n") == 0);
	PASS("shebang");

	script("plain", "echo no shebang\n", 0755);
	char *a4[] = {"plain", NULL};
	CHECK_EQ(run("./plain", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=8\n") == 0); /* ENOEXEC */
	script("badinterp", "#!/nonexistent/interp\n", 0755);
	CHECK_EQ(run("./badinterp", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=2\n") == 0); /* ENOENT */
	script("noexec", "#!/bin/sh\n", 0644);
	CHECK_EQ(run("./noexec", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=13\n") == 0); /* EACCES */
	CHECK_EQ(run("/tmp", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=13\n") == 0);
	CHECK_EQ(run("/dev/null", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=13\n") == 0);
	CHECK_EQ(run("./nonexistent", a4, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=2\n") == 0);
	static char big[200000];
	memset(big, 'a', sizeof(big) - 1);
	char *a5[] = {"/bin/true", big, NULL};
	CHECK_EQ(run("/bin/true", a5, out, sizeof(out)), 127);
	CHECK(strcmp(out, "execv errno=7\n") == 0); /* E2BIG: > MAX_ARG_STRLEN */
	PASS("exec-errors");

	fflush(stdout);
	pid_t c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		int e = open("/bin/true", O_RDONLY);
		char *av[] = {"true", NULL};
		fexecve(e, av, environ);
		_exit(99);
	}
	int st;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	PASS("fexecve");

	/* execveat: a name relative to a directory FD; AT_SYMLINK_NOFOLLOW
	 * refuses a final symlink; an empty path needs AT_EMPTY_PATH. */
	c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		int d = open("/bin", O_RDONLY | O_DIRECTORY);
		char *av[] = {"true", NULL};
		char lnk[] = "/tmp/cocoon-exec-link-XXXXXX";
		int l = mkstemp(lnk);
		if (d < 0 || l < 0 || unlink(lnk) != 0 || symlink("/bin/true", lnk) != 0)
			_exit(90);
		if (syscall(SYS_execveat, AT_FDCWD, lnk, av, environ, AT_SYMLINK_NOFOLLOW) != -1 || errno != ELOOP)
			_exit(91);
		unlink(lnk);
		if (syscall(SYS_execveat, d, "", av, environ, 0) != -1 || errno != ENOENT)
			_exit(92);
		syscall(SYS_execveat, d, "true", av, environ, 0);
		_exit(93);
	}
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	PASS("execveat");

	/* what an exec keeps and drops */
	int p[2];
	CHECK(pipe(p) == 0);
	fflush(stdout);
	c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		struct sigaction sa = {0};
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		signal(SIGUSR2, SIG_IGN);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGINT);
		sigprocmask(SIG_BLOCK, &m, NULL);
		raise(SIGINT);
		int x = open("/dev/null", O_RDONLY);
		dup2(x, 20);
		dup2(x, 21);
		fcntl(21, F_SETFD, FD_CLOEXEC);
		stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
		sigaltstack(&ss, NULL);
		dup2(p[1], 1);
		execl("/proc/self/exe", "exec", "after-exec", (char *)NULL);
		_exit(99);
	}
	CHECK(close(p[1]) == 0);
	size_t k = 0;
	ssize_t r;
	while ((r = read(p[0], out + k, sizeof(out) - 1 - k)) > 0)
		k += (size_t)r;
	out[k] = '\0';
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(strcmp(out, "caught-reset=1 ignored-kept=1 mask-kept=1 pending-kept=1 fd20=1 fd21=0 altstack-gone=1\n") == 0);
	PASS("exec-keeps-and-drops");

	CHECK(chdir("/") == 0);
	CHECK(rm_tree(dir) == 0);
	return 0;
}
