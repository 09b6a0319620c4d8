/* signals2: SIGCHLD handlers with siginfo, sigsuspend, SA_RESETHAND,
 * SA_NODEFER, sigaltstack with SA_ONSTACK, nanosleep interrupted with the
 * remaining time, a blocked signal delivered on unblock, real-time signals
 * queued and delivered in order, sigtimedwait, kill(0, sig) to the process
 * group, SIGPIPE, pause with alarm and setitimer, SIGCHLD set to SIG_IGN,
 * waitid with WEXITED|WNOHANG, SIGKILL's exit status, stop/continue, and
 * kill(2) of a zombie.
 * Each group runs in its own child (a sandboxed test is PID 1, which
 * default actions cannot kill); the parent kills a child that hangs. */
#include "test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t hits, last_sig, depth, max_depth, blocked_inside;
static volatile sig_atomic_t order[8], norder, runs;
static volatile int values[8], nvalues;
static volatile siginfo_t last_info;
static volatile uintptr_t handler_sp;
static volatile int ss_flags_inside;

static void on_count(int sig)
{
	hits++;
	last_sig = sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	last_info = *si;
	if (norder < 8)
		order[norder++] = sig;
	if (si->si_code == SI_QUEUE && nvalues < 8)
		values[nvalues++] = si->si_value.sival_int;
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void install_info(int sig, int flags)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	CHECK(sigprocmask(how, &s, NULL) == 0);
}

static double now(void)
{
	struct timespec ts;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sigchld_handler(void)
{
	install_info(SIGCHLD, 0);
	block(SIGCHLD, SIG_BLOCK);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(42);
	/* sigsuspend with SIGCHLD unblocked: returns EINTR after the handler */
	sigset_t none;
	sigemptyset(&none);
	while (hits == 0)
		CHECK_ERRNO(sigsuspend(&none), EINTR);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGCHLD);
	CHECK_EQ(last_info.si_code, CLD_EXITED);
	CHECK_EQ(last_info.si_pid, pid);
	CHECK_EQ(last_info.si_status, 42);
	CHECK_EQ(last_info.si_uid, getuid());
	/* the mask is back: SIGCHLD blocked again */
	sigset_t cur;
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	CHECK(sigismember(&cur, SIGCHLD));
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
}

static void resethand(void)
{
	install(SIGUSR1, on_count, SA_RESETHAND);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(hits, 1);
	struct sigaction cur;
	CHECK(sigaction(SIGUSR1, NULL, &cur) == 0);
	CHECK(cur.sa_handler == SIG_DFL);
	CHECK(cur.sa_flags & SA_RESETHAND); /* only the handler is reset */
	/* the default action is back: SIGUSR1 now kills (a child: we may be
	 * init, which default actions do not kill) */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		kill(getpid(), SIGUSR1);
		_exit(0);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
}

static void on_nested(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, sig))
		blocked_inside = 1;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (++runs < 3)
		kill(getpid(), sig); /* with SA_NODEFER this nests at once */
	depth--;
}

static void nodefer(void)
{
	install(SIGUSR2, on_nested, SA_NODEFER);
	CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK_EQ(max_depth, 3);
	CHECK_EQ(blocked_inside, 0);
	/* without it the second one waits for the first to return */
	max_depth = 0;
	runs = 0;
	install(SIGUSR2, on_nested, 0);
	CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK_EQ(max_depth, 1);
	CHECK_EQ(runs, 3);
	CHECK_EQ(blocked_inside, 1);
}

static void on_alt(int sig)
{
	volatile char here;
	(void)sig;
	handler_sp = (uintptr_t)&here;
	stack_t ss;
	sigaltstack(NULL, &ss);
	ss_flags_inside = ss.ss_flags;
	hits++;
}

static void altstack(void)
{
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	CHECK(stack != NULL);
	stack_t ss = {.ss_sp = stack, .ss_size = size, .ss_flags = 0}, old;
	CHECK(sigaltstack(&ss, &old) == 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	install(SIGUSR1, on_alt, SA_ONSTACK);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(hits, 1);
	CHECK(handler_sp >= (uintptr_t)stack && handler_sp < (uintptr_t)stack + size);
	CHECK_EQ(ss_flags_inside, SS_ONSTACK);
	CHECK(sigaltstack(NULL, &old) == 0);
	CHECK_EQ(old.ss_flags, 0);
	CHECK(old.ss_sp == stack && old.ss_size == size);
	/* without SA_ONSTACK the handler runs on the normal stack */
	install(SIGUSR1, on_alt, 0);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(!(handler_sp >= (uintptr_t)stack && handler_sp < (uintptr_t)stack + size));
	CHECK_EQ(ss_flags_inside, 0);
	ss.ss_flags = SS_DISABLE;
	CHECK(sigaltstack(&ss, NULL) == 0);
	CHECK(sigaltstack(NULL, &old) == 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
}

static void nanosleep_eintr(void)
{
	install(SIGUSR1, on_count, 0); /* no SA_RESTART, and nanosleep never restarts */
	pid_t parent = getpid();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct timespec req = {5, 0}, rem = {0, 0};
	double t0 = now();
	CHECK_ERRNO(nanosleep(&req, &rem), EINTR);
	double slept = now() - t0;
	CHECK_EQ(hits, 1);
	CHECK(slept < 4);
	/* rem is what was left: about 5 s minus the time slept */
	double left = rem.tv_sec + rem.tv_nsec / 1e9;
	CHECK(left > 0 && left <= 5);
	CHECK(left + slept > 4.5 && left + slept < 5.5);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	/* clock_nanosleep with TIMER_ABSTIME reports EINTR (as the return
	 * value) too */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct timespec until;
	CHECK(clock_gettime(CLOCK_MONOTONIC, &until) == 0);
	until.tv_sec += 5;
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), EINTR);
	CHECK_EQ(hits, 2);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
}

static void unblock_delivers(void)
{
	install_info(SIGUSR1, 0);
	install_info(SIGUSR2, 0);
	block(SIGUSR1, SIG_BLOCK);
	block(SIGUSR2, SIG_BLOCK);
	CHECK(kill(getpid(), SIGUSR2) == 0);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK(kill(getpid(), SIGUSR1) == 0); /* standard signals do not queue */
	CHECK_EQ(hits, 0);
	sigset_t pend;
	CHECK(sigpending(&pend) == 0);
	CHECK(sigismember(&pend, SIGUSR1) && sigismember(&pend, SIGUSR2));
	sigset_t both;
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	CHECK(sigprocmask(SIG_UNBLOCK, &both, NULL) == 0);
	/* both ran before sigprocmask returned (Linux stacks both frames at
	 * once, so the order the handlers run in is not checked) */
	CHECK_EQ(hits, 2);
	CHECK_EQ(norder, 2);
	CHECK(order[0] + order[1] == SIGUSR1 + SIGUSR2);
	CHECK(sigpending(&pend) == 0);
	CHECK(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2));
}

static void rt_queue(void)
{
	/* real-time signals queue: three sent while blocked, three delivered,
	 * each with its own value, in the order sent */
	int rt = SIGRTMIN + 2;
	install_info(rt, 0);
	install_info(SIGRTMIN, 0);
	/* with kill: each one queues */
	block(rt, SIG_BLOCK);
	CHECK(kill(getpid(), rt) == 0);
	CHECK(kill(getpid(), rt) == 0);
	block(rt, SIG_UNBLOCK);
	CHECK_EQ(hits, 2);
	/* with sigqueue, values and all */
	hits = 0;
	norder = 0;
	block(rt, SIG_BLOCK);
	block(SIGRTMIN, SIG_BLOCK);
	union sigval v;
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i * 100;
		CHECK(sigqueue(getpid(), rt, v) == 0);
	}
	CHECK(kill(getpid(), SIGRTMIN) == 0);
	CHECK_EQ(hits, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, rt);
	sigaddset(&s, SIGRTMIN);
	CHECK(sigprocmask(SIG_UNBLOCK, &s, NULL) == 0);
	CHECK_EQ(hits, 4);
	int nrt = 0, nmin = 0;
	for (int i = 0; i < 4; i++) {
		nrt += order[i] == rt;
		nmin += order[i] == SIGRTMIN;
	}
	CHECK_EQ(nrt, 3);
	CHECK_EQ(nmin, 1);
	CHECK_EQ(nvalues, 3);
	CHECK_EQ(values[0], 100);
	CHECK_EQ(values[1], 200);
	CHECK_EQ(values[2], 300);

}

static void timedwait(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0);
	struct timespec ts = {0, 50 * 1000 * 1000};
	siginfo_t si;
	CHECK_ERRNO(sigtimedwait(&s, &si, &ts), EAGAIN);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	CHECK_EQ(sigtimedwait(&s, &si, &ts), SIGUSR1);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_USER);
	CHECK_EQ(si.si_pid, getpid());
	sigset_t pend;
	CHECK(sigpending(&pend) == 0);
	CHECK(!sigismember(&pend, SIGUSR1));
	CHECK(kill(getpid(), SIGUSR1) == 0);
	int sig = 0;
	CHECK_EQ(sigwait(&s, &sig), 0);
	CHECK_EQ(sig, SIGUSR1);
}

static void process_group(void)
{
	/* a new group: us and two children; kill(0) reaches all three */
	CHECK(setpgid(0, 0) == 0);
	int p[2];
	CHECK(pipe(p) == 0);
	int ready[2];
	CHECK(pipe(ready) == 0);
	install(SIGUSR1, on_count, 0);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0);
		if (kids[i] == 0) {
			CHECK(write(ready[1], "r", 1) == 1);
			while (hits == 0)
				pause();
			char c = 'a' + i;
			CHECK(write(p[1], &c, 1) == 1);
			_exit(0);
		}
	}
	char c;
	for (int i = 0; i < 2; i++)
		read_full(ready[0], &c, 1);
	CHECK_EQ(getpgid(kids[0]), getpid());
	CHECK(kill(0, SIGUSR1) == 0);
	CHECK_EQ(hits, 1);
	char got[2];
	read_full(p[0], got, 2);
	CHECK((got[0] == 'a' && got[1] == 'b') || (got[0] == 'b' && got[1] == 'a'));
	for (int i = 0; i < 2; i++) {
		int status;
		CHECK_EQ(waitpid(kids[i], &status, 0), kids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* kill(-pgid) too, and killpg; a group with nobody left: ESRCH */
	CHECK(kill(-getpid(), SIGUSR1) == 0);
	CHECK_EQ(hits, 2);
	CHECK(killpg(getpid(), SIGUSR1) == 0);
	CHECK_EQ(hits, 3);
	CHECK_ERRNO(kill(-kids[0], SIGUSR1), ESRCH);
}

static void sigpipe(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(close(p[0]) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		write(p[1], "x", 1);
		_exit(0); /* not reached */
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
	/* ignored: EPIPE; handled: the handler runs, then EPIPE */
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	install(SIGPIPE, on_count, 0);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGPIPE);
}

static void pause_alarm(void)
{
	install(SIGALRM, on_count, 0);
	CHECK_EQ(alarm(1), 0);
	double t0 = now();
	CHECK_ERRNO(pause(), EINTR);
	double waited = now() - t0;
	CHECK_EQ(hits, 1);
	CHECK_EQ(last_sig, SIGALRM);
	CHECK(waited > 0.5 && waited < 3);
	/* alarm returns the seconds left of the previous one */
	CHECK_EQ(alarm(10), 0);
	CHECK_EQ(alarm(0), 10);
	/* setitimer: a 30 ms one-shot */
	struct itimerval it = {{0, 0}, {0, 30000}};
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
	CHECK_ERRNO(pause(), EINTR);
	CHECK_EQ(hits, 2);
	struct itimerval cur;
	CHECK(getitimer(ITIMER_REAL, &cur) == 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
	/* and a periodic one fires repeatedly */
	struct itimerval per = {{0, 10000}, {0, 10000}};
	CHECK(setitimer(ITIMER_REAL, &per, NULL) == 0);
	while (hits < 5)
		pause();
	struct itimerval off = {{0, 0}, {0, 0}};
	CHECK(setitimer(ITIMER_REAL, &off, &cur) == 0);
	CHECK(cur.it_interval.tv_usec == 10000);
}

static void waitid_nohang(void)
{
	int go[2];
	CHECK(pipe(go) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		close(go[1]);
		read(go[0], &c, 1);
		_exit(7);
	}
	CHECK(close(go[0]) == 0);
	siginfo_t si;
	memset(&si, 0xff, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0); /* still running: si_pid cleared */
	CHECK_EQ(waitpid(pid, NULL, WNOHANG), 0);
	CHECK(close(go[1]) == 0);
	/* poll until it has exited */
	for (int i = 0; i < 2000; i++) {
		memset(&si, 0, sizeof(si));
		CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT), 0);
		if (si.si_pid != 0)
			break;
		usleep(1000);
	}
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 7);
	/* WNOWAIT left it there */
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_ERRNO(waitid(P_PID, pid, &si, WEXITED | WNOHANG), ECHILD);
	CHECK_ERRNO(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
}

static void sigkill_status(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* blocking and handling SIGKILL is impossible */
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		for (;;)
			pause();
	}
	usleep(20000);
	CHECK(kill(pid, SIGKILL) == 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);
	CHECK(!WCOREDUMP(status));
	/* and through waitid */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		for (;;)
			pause();
	CHECK(kill(pid, SIGKILL) == 0);
	siginfo_t si;
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	/* SIGTERM by default: killed, no core */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		for (;;)
			pause();
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

static void sigchld_ignored(void)
{
	/* SIGCHLD set to SIG_IGN: children are reaped at once, wait gives
	 * ECHILD once they are gone */
	signal(SIGCHLD, SIG_IGN);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	int status;
	CHECK_ERRNO(waitpid(pid, &status, 0), ECHILD);
	/* SA_NOCLDWAIT with a handler: the handler runs, no zombie is left */
	struct sigaction sa = {0};
	sa.sa_handler = on_count;
	sa.sa_flags = SA_NOCLDWAIT;
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
	block(SIGCHLD, SIG_BLOCK);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	sigset_t none;
	sigemptyset(&none);
	while (hits == 0)
		sigsuspend(&none);
	CHECK_ERRNO(waitpid(pid, &status, 0), ECHILD);
}

static void kill_zombie(void)
{
	/* a zombie still exists until it is reaped: kill() finds it */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0);
	CHECK(kill(pid, 0) == 0);
	CHECK(kill(pid, SIGTERM) == 0);
	CHECK(getpgid(pid) > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* SIGTERM did nothing */
	CHECK_ERRNO(kill(pid, 0), ESRCH);
}

static void stop_continue(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		for (;;)
			pause();
	CHECK(kill(pid, SIGSTOP) == 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
	CHECK(WIFSTOPPED(status));
	CHECK_EQ(WSTOPSIG(status), SIGSTOP);
	CHECK(kill(pid, SIGCONT) == 0);
	CHECK_EQ(waitpid(pid, &status, WCONTINUED), pid);
	CHECK(WIFCONTINUED(status));
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

int main(void)
{
	int fails = 0;
	fails += run_group("sigchld-handler-sigsuspend", sigchld_handler, 20);
	fails += run_group("sa-resethand", resethand, 20);
	fails += run_group("sa-nodefer", nodefer, 20);
	fails += run_group("sigaltstack-onstack", altstack, 20);
	fails += run_group("nanosleep-eintr-rem", nanosleep_eintr, 20);
	fails += run_group("blocked-then-unblocked", unblock_delivers, 20);
	fails += run_group("rt-signals-queue", rt_queue, 20);
	fails += run_group("sigtimedwait", timedwait, 20);
	fails += run_group("kill-process-group", process_group, 20);
	fails += run_group("sigpipe", sigpipe, 20);
	fails += run_group("pause-alarm-itimer", pause_alarm, 20);
	fails += run_group("waitid-wnohang", waitid_nohang, 20);
	fails += run_group("sigkill-status", sigkill_status, 20);
	fails += run_group("sigchld-ignored", sigchld_ignored, 20);
	fails += run_group("stop-continue", stop_continue, 20);
	fails += run_group("kill-zombie", kill_zombie, 20);
	return fails != 0;
}
