/* uts: sethostname and setdomainname change the caller's UTS namespace
 * (uname, /proc/sys/kernel/hostname and domainname show it); unshare and
 * clone with CLONE_NEWUTS give a copy that the parent never sees change;
 * EINVAL for a long or negative length, EFAULT for a bad pointer, EPERM
 * without CAP_SYS_ADMIN. Every change happens in a child that unshared
 * first, so a native run never renames the host. */
#include "test.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static void read_proc(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t r = read(fd, buf, n - 1);
	CHECK(r > 0);
	buf[r] = 0;
	close(fd);
}

static void in_new_namespace(void)
{
	CHECK(unshare(CLONE_NEWUTS) == 0);
	CHECK(sethostname("cocoon-uts-test", 15) == 0);
	CHECK(setdomainname("example.test", 12) == 0);
	struct utsname u;
	CHECK(uname(&u) == 0);
	CHECK(strcmp(u.nodename, "cocoon-uts-test") == 0);
	CHECK(strcmp(u.domainname, "example.test") == 0);
	char buf[128];
	read_proc("/proc/sys/kernel/hostname", buf, sizeof buf);
	CHECK(strcmp(buf, "cocoon-uts-test\n") == 0);
	read_proc("/proc/sys/kernel/domainname", buf, sizeof buf);
	CHECK(strcmp(buf, "example.test\n") == 0);
	/* Writing the /proc file is sethostname. */
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "via-proc\n", 9), 9);
	close(fd);
	CHECK(uname(&u) == 0);
	CHECK(strcmp(u.nodename, "via-proc") == 0);
	char longname[66];
	memset(longname, 'x', sizeof longname);
	CHECK_ERRNO(sethostname(longname, 65), EINVAL);
	CHECK(sethostname(longname, 64) == 0);
	/* Raw calls: glibc's prototype makes gcc refuse these at compile time. */
	CHECK_ERRNO(syscall(SYS_sethostname, "x", -1L), EINVAL);
	CHECK_ERRNO(syscall(SYS_sethostname, 8L, 4L), EFAULT);
}

static int clone_child(void *arg)
{
	(void)arg;
	return sethostname("from-clone", 10) == 0 ? 0 : 1;
}

static void unprivileged(void)
{
	CHECK(setuid(65534) == 0);
	CHECK_ERRNO(sethostname("nope", 4), EPERM);
	CHECK_ERRNO(unshare(CLONE_NEWUTS), EPERM);
}

int main(void)
{
	struct utsname before, after;
	CHECK(uname(&before) == 0);
	int fails = run_group("unshare and set", in_new_namespace, 30);

	static char stack[64 * 1024];
	pid_t pid = clone(clone_child, stack + sizeof stack, CLONE_NEWUTS | SIGCHLD, NULL);
	CHECK(pid > 0);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	PASS("clone with CLONE_NEWUTS");

	fails += run_group("EPERM without CAP_SYS_ADMIN", unprivileged, 30);
	CHECK(uname(&after) == 0);
	CHECK(strcmp(before.nodename, after.nodename) == 0);
	CHECK(strcmp(before.domainname, after.domainname) == 0);
	PASS("the parent's names never changed");
	return fails != 0;
}
