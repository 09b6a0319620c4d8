/* proc: /proc/self/status names the caller's own PID and PPid, and no
 * tracer (the sandbox's /proc is the sentry's, even though the host
 * traces every stub); a forked child sees its own. */
#include "test.h"

#include <fcntl.h>
#include <sys/wait.h>

/* field returns the value of "Key:\t" in /proc/self/status, or -1. It
 * also checks that the line has the tab Linux puts after the colon. */
static long field(const char *key)
{
	static char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = 0, r;
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	CHECK(r == 0);
	CHECK(close(fd) == 0);
	buf[n] = '\0';
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s:\t", key);
	char *p = strstr(buf, pat);
	if (p == NULL)
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

int main(void)
{
	CHECK_EQ(field("Pid"), getpid());
	CHECK_EQ(field("PPid"), getppid());
	CHECK_EQ(field("TracerPid"), 0);
	PASS("status");

	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (field("Pid") != getpid() || field("TracerPid") != 0)
			_exit(2);
		_exit(field("PPid") == getppid() ? 0 : 3);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	PASS("child-status");

	/* /proc/self is a link to the caller's own directory */
	char link[64], want[64];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
	CHECK(n > 0);
	link[n] = '\0';
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK(strcmp(link, want) == 0);
	PASS("self-link");
	return 0;
}
