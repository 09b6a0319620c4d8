/* sessions: setsid and setpgid rules (EPERM for a group leader or another
 * session, EACCES after the child's exec, ESRCH for a stranger),
 * PR_SET_NAME in /proc/self/comm, PR_SET_PDEATHSIG killing an orphan,
 * nice/getpriority, and CPU time: a process's own (getrusage,
 * CLOCK_PROCESS_CPUTIME_ID) and its waited-for children's (getrusage,
 * times). */
#include "test.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>

static void setsid_rules(void)
{
	CHECK(setsid() == getpid()); /* a child of the test: not a leader yet */
	CHECK_EQ(getsid(0), getpid());
	CHECK_EQ(getpgrp(), getpid());
	CHECK_ERRNO(setsid(), EPERM); /* now a group leader */
}

static void setpgid_rules(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	CHECK(setpgid(pid, pid) == 0);
	CHECK_EQ(getpgid(pid), pid);
	CHECK(setpgid(pid, 0) == 0);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);

	/* once the child has exec'd, its group is its own business */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	CHECK(close(p[1]) == 0);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 0); /* EOF: the exec happened */
	CHECK_ERRNO(setpgid(pid, pid), EACCES);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);

	/* a child in another session */
	int ready[2];
	CHECK(pipe(ready) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setsid();
		write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	read_full(ready[0], &c, 1);
	CHECK_EQ(getsid(pid), pid);
	CHECK_ERRNO(setpgid(pid, getpgrp()), EPERM);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_ERRNO(setpgid(1 << 22, 0), ESRCH);
	CHECK_ERRNO(setpgid(0, -1), EINVAL);
}

static void task_name(void)
{
	CHECK(prctl(PR_SET_NAME, "renamed-task-with-a-long-name", 0, 0, 0) == 0);
	char nm[32] = {0};
	CHECK(prctl(PR_GET_NAME, nm, 0, 0, 0) == 0);
	CHECK(strcmp(nm, "renamed-task-wi") == 0); /* 15 bytes */
	int f = open("/proc/self/comm", O_RDONLY);
	CHECK(f >= 0);
	char b[64] = {0};
	CHECK(read(f, b, sizeof(b) - 1) > 0);
	CHECK(strcmp(b, "renamed-task-wi\n") == 0);
	CHECK(close(f) == 0);
}

static void pdeathsig(void)
{
	/* a grandchild asks for SIGKILL when its parent dies; the parent
	 * exits; the grandchild's end of the pipe must close */
	int p[2], ready[2];
	CHECK(pipe(p) == 0 && pipe(ready) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			int sig = 0;
			prctl(PR_GET_PDEATHSIG, &sig);
			write(ready[1], sig == SIGKILL ? "k" : "x", 1);
			for (;;)
				pause();
		}
		char c;
		read(ready[0], &c, 1);
		write(ready[1], &c, 1); /* pass it on */
		_exit(0);
	}
	CHECK(close(p[1]) == 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	char c;
	read_full(ready[0], &c, 1);
	CHECK_EQ(c, 'k');
	struct pollfd pf = {p[0], POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, 5000), 1); /* not a timeout: the grandchild died */
	CHECK_EQ(read(p[0], &c, 1), 0);
}

static void priorities(void)
{
	errno = 0;
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
	CHECK_EQ(nice(3), 3);
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 3);
	CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0);
	errno = 0;
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
	CHECK_EQ(errno, 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 5 ? 0 : 1); /* inherited */
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void child_times(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* burn 150 ms of CPU time, by the process's own CPU clock (load
		 * on the machine only makes it take longer), then check that
		 * getrusage agrees; the CPU clock must advance at all within
		 * 20 s of wall time */
		struct timespec t0, now, cpu;
		struct rusage ru;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			for (volatile int i = 0; i < 100000; i++)
				;
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec > 20)
				_exit(3);
		} while (cpu.tv_sec == 0 && cpu.tv_nsec < 150000000L);
		getrusage(RUSAGE_SELF, &ru);
		if (ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec < 100000)
			_exit(2);
		_exit(0);
	}
	struct rusage before;
	CHECK(getrusage(RUSAGE_CHILDREN, &before) == 0);
	CHECK(before.ru_utime.tv_sec == 0 && before.ru_utime.tv_usec == 0);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0); /* 2: RUSAGE_SELF, 3: CLOCK_PROCESS_CPUTIME_ID stuck */
	struct rusage after;
	CHECK(getrusage(RUSAGE_CHILDREN, &after) == 0);
	CHECK(after.ru_utime.tv_sec > 0 || after.ru_utime.tv_usec >= 50000);
	struct tms tm;
	CHECK(times(&tm) != (clock_t)-1);
	CHECK(tm.tms_cutime > 0);
}

int main(void)
{
	int fails = 0;
	fails += run_group("setsid", setsid_rules, 30);
	fails += run_group("setpgid", setpgid_rules, 30);
	fails += run_group("pr-set-name", task_name, 30);
	fails += run_group("pdeathsig", pdeathsig, 30);
	fails += run_group("nice-getpriority", priorities, 30);
	fails += run_group("children-cpu-time", child_times, 30);
	return fails != 0;
}
