/* signals: handlers with siginfo, sigprocmask and sigpending, SIG_IGN,
 * default actions seen from the parent, SA_RESETHAND, the handler's own
 * mask, kill/raise of self, and SA_RESTART against EINTR for a pipe read
 * interrupted by signals from a child. */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t count, last_signo, last_code, in_handler_blocked;
static volatile pid_t last_pid;
static volatile uid_t last_uid;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	count++;
	last_signo = si->si_signo == sig ? sig : -1;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_uid = si->si_uid;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	in_handler_blocked = sigismember(&cur, sig);
}

static void on_plain(int sig)
{
	(void)sig;
	count++;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		CHECK_EQ(errno, EINTR);
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

int main(void)
{
	struct sigaction sa = {0}, old;
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(sigaction(SIGUSR1, NULL, &old) == 0);
	CHECK(old.sa_sigaction == on_info);
	CHECK(old.sa_flags & SA_SIGINFO);
	CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_ERRNO(sigaction(65, &sa, NULL), EINVAL);
	PASS("sigaction");

	/* kill(self) runs the handler before kill returns, with siginfo */
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(count, 1);
	CHECK_EQ(last_signo, SIGUSR1);
	CHECK_EQ(last_code, SI_USER);
	CHECK_EQ(last_pid, getpid());
	CHECK_EQ(last_uid, getuid());
	CHECK_EQ(in_handler_blocked, 1); /* no SA_NODEFER: blocked inside */
	sigset_t cur;
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	CHECK(!sigismember(&cur, SIGUSR1)); /* and unblocked after */
	CHECK(raise(SIGUSR1) == 0);
	CHECK_EQ(count, 2);
	CHECK_EQ(last_code, SI_TKILL);
	CHECK(kill(getpid(), 0) == 0); /* signal 0: existence check only */
	CHECK_EQ(count, 2);
	CHECK_ERRNO(kill(getpid(), 12345), EINVAL);
	PASS("handler-siginfo");

	/* sigprocmask blocks; sigpending sees it; unblocking delivers once */
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	count = 0;
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(kill(getpid(), SIGUSR1) == 0); /* standard signals do not queue */
	CHECK_EQ(count, 0);
	CHECK(sigpending(&pend) == 0);
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK(!sigismember(&pend, SIGUSR2));
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
	CHECK_EQ(count, 1);
	CHECK(sigpending(&pend) == 0);
	CHECK(!sigismember(&pend, SIGUSR1));
	/* SIGKILL and SIGSTOP cannot be blocked */
	sigfillset(&set);
	CHECK(sigprocmask(SIG_SETMASK, &set, NULL) == 0);
	CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0);
	CHECK(!sigismember(&cur, SIGKILL));
	CHECK(!sigismember(&cur, SIGSTOP));
	CHECK(sigismember(&cur, SIGUSR2));
	sigemptyset(&set);
	CHECK(sigprocmask(SIG_SETMASK, &set, NULL) == 0);
	PASS("sigprocmask-sigpending");

	/* SIG_IGN discards the signal */
	CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	CHECK(raise(SIGUSR2) == 0);
	CHECK(sigpending(&pend) == 0);
	CHECK(!sigismember(&pend, SIGUSR2));
	CHECK(signal(SIGUSR2, SIG_DFL) == SIG_IGN);
	PASS("sig-ign");

	/* SA_RESETHAND: the handler runs once, then the default is back */
	count = 0;
	handle(SIGUSR2, on_plain, SA_RESETHAND);
	CHECK(raise(SIGUSR2) == 0);
	CHECK_EQ(count, 1);
	CHECK(sigaction(SIGUSR2, NULL, &old) == 0);
	CHECK(old.sa_handler == SIG_DFL);
	PASS("sa-resethand");

	/* default actions, seen from the parent */
	struct {
		int sig, killed;
	} defaults[] = {{SIGTERM, 1}, {SIGUSR2, 1}, {SIGALRM, 1}, {SIGCHLD, 0}, {SIGWINCH, 0}, {SIGURG, 0}};
	for (unsigned i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			signal(defaults[i].sig, SIG_DFL);
			raise(defaults[i].sig);
			_exit(0);
		}
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (defaults[i].killed) {
			CHECK(WIFSIGNALED(status));
			CHECK_EQ(WTERMSIG(status), defaults[i].sig);
		} else {
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
	}
	/* a core-dumping signal kills too */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGABRT);
	PASS("default-actions");

	/* a signal from another process carries its pid */
	count = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
	CHECK_EQ(count, 1);
	CHECK_EQ(last_pid, pid);
	CHECK_EQ(last_code, SI_USER);
	CHECK_ERRNO(kill(pid, SIGUSR1), ESRCH); /* reaped: gone */
	PASS("kill-other");

	/* without SA_RESTART a blocked pipe read fails with EINTR; the child
	 * keeps signalling until the parent says it saw it */
	int data[2], stop[2];
	CHECK(pipe(data) == 0);
	CHECK(pipe2(stop, O_NONBLOCK) == 0);
	handle(SIGUSR1, on_plain, 0);
	count = 0;
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		for (int i = 0; i < 1000; i++) {
			sleep_ms(20);
			if (read(stop[0], &c, 1) == 1)
				_exit(0);
			kill(getppid(), SIGUSR1);
		}
		_exit(1);
	}
	char c;
	CHECK_ERRNO(read(data[0], &c, 1), EINTR);
	CHECK(count >= 1);
	CHECK_EQ(write(stop[1], "s", 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("eintr");

	/* with SA_RESTART the same read is restarted and returns the data */
	handle(SIGUSR1, on_plain, SA_RESTART);
	count = 0;
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			sleep_ms(20);
			kill(getppid(), SIGUSR1);
		}
		sleep_ms(20);
		write(data[1], "d", 1);
		_exit(0);
	}
	CHECK_EQ(read(data[0], &c, 1), 1);
	CHECK_EQ(c, 'd');
	CHECK(count >= 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("sa-restart");
	return 0;
}
