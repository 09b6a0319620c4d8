/* caps: capget/capset with Linux's rules (version negotiation, the
 * inheritable set within the bounding set, permitted only shrinking,
 * effective within permitted), PR_CAPBSET_READ/DROP, the ambient set
 * (raise needs permitted and inheritable), PR_SET_KEEPCAPS across
 * setuid, and execve's transformation: root gets its bounding set, a
 * non-root program its ambient set only. /proc/self/status shows the
 * sets. Every change happens in a child. */
#include "test.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BIT(c) (1ULL << (c))

struct sets {
	unsigned long long eff, perm, inh;
};

static struct sets get(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	CHECK(syscall(SYS_capget, &h, d) == 0);
	struct sets s = {
		d[0].effective | (unsigned long long)d[1].effective << 32,
		d[0].permitted | (unsigned long long)d[1].permitted << 32,
		d[0].inheritable | (unsigned long long)d[1].inheritable << 32,
	};
	return s;
}

static int set(struct sets s)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(unsigned)s.eff, (unsigned)s.perm, (unsigned)s.inh},
		{(unsigned)(s.eff >> 32), (unsigned)(s.perm >> 32), (unsigned)(s.inh >> 32)},
	};
	return syscall(SYS_capset, &h, d);
}

/* status_caps reads one Cap* line of /proc/self/status. */
static unsigned long long status_caps(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256], want[32];
	snprintf(want, sizeof want, "%s:\t%%llx", name);
	unsigned long long v = ~0ULL;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, want, &v) == 1)
			break;
	fclose(f);
	return v;
}

static void rules(void)
{
	struct __user_cap_header_struct h = {0x12345678, 0};
	struct __user_cap_data_struct d[2];
	CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	/* The version probe libcap makes: NULL data, no error. */
	h.version = 0;
	CHECK(syscall(SYS_capget, &h, NULL) == 0);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	struct sets s = get();
	CHECK(s.perm & BIT(CAP_SYS_ADMIN));
	CHECK_EQ(status_caps("CapPrm"), s.perm);
	CHECK_EQ(status_caps("CapEff"), s.eff);

	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN), 1);
	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) == 0);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN), 0);
	CHECK_ERRNO(prctl(PR_CAPBSET_READ, 999), EINVAL);
	CHECK_EQ(status_caps("CapBnd") & BIT(CAP_SYS_ADMIN), 0);
	/* Outside the bounding set: not inheritable. */
	struct sets n = s;
	n.inh |= BIT(CAP_SYS_ADMIN);
	CHECK_ERRNO(set(n), EPERM);
	/* Effective within permitted; permitted only shrinks. */
	n = s;
	n.perm &= ~BIT(CAP_NET_RAW);
	CHECK_ERRNO(set(n), EPERM); /* effective still has NET_RAW */
	n.eff &= ~BIT(CAP_NET_RAW);
	CHECK(set(n) == 0);
	n.perm |= BIT(CAP_NET_RAW);
	CHECK_ERRNO(set(n), EPERM);
	CHECK_EQ(get().perm & BIT(CAP_NET_RAW), 0);
}

static void ambient(void)
{
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 0);
	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0), EPERM);
	struct sets s = get();
	s.inh |= BIT(CAP_NET_BIND_SERVICE);
	CHECK(set(s) == 0);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0);
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 1);
	CHECK_EQ(status_caps("CapAmb"), BIT(CAP_NET_BIND_SERVICE));
	/* Dropping it from the inheritable set drops it from ambient. */
	s.inh &= ~BIT(CAP_NET_BIND_SERVICE);
	CHECK(set(s) == 0);
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 0);
}

static void keepcaps(void)
{
	CHECK_EQ(prctl(PR_GET_KEEPCAPS), 0);
	CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0);
	CHECK_EQ(prctl(PR_GET_KEEPCAPS), 1);
	CHECK(setresuid(54321, 54321, 54321) == 0);
	struct sets s = get();
	CHECK(s.perm & BIT(CAP_SYS_ADMIN)); /* kept */
	CHECK_EQ(s.eff, 0);                 /* but not effective */
}

static void no_keepcaps(void)
{
	CHECK(setresuid(54321, 54321, 54321) == 0);
	struct sets s = get();
	CHECK_EQ(s.perm, 0);
	CHECK_EQ(s.eff, 0);
}

/* self is a copy of this program that any user may execute (the
 * harness's own temp directory is root's only). */
static char self[] = "/tmp/cocoon-caps-XXXXXX";

/* exec_report re-executes this program to print its sets as exec left
 * them, and returns its wait status. */
static int exec_report(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl(self, self, "report", (char *)NULL);
		_exit(127);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void exec_root(void)
{
	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) == 0);
	/* Root gets its bounding set: everything but SYS_ADMIN. */
	int st = exec_report();
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

static void exec_user_ambient(void)
{
	struct sets s = get();
	s.inh |= BIT(CAP_NET_BIND_SERVICE);
	CHECK(set(s) == 0);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0);
	CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0);
	CHECK(setresuid(54321, 54321, 54321) == 0);
	/* Setuid away from root clears the ambient set, KEEP_CAPS or not. */
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 0);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) == 0);
	int st = exec_report();
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

/* report: the exit status says what exec left: 1 root without
 * SYS_ADMIN, 2 a user with exactly NET_BIND_SERVICE, 3 anything else. */
static int report(void)
{
	struct sets s = get();
	if (getuid() == 0 && !(s.perm & BIT(CAP_SYS_ADMIN)) && (s.perm & BIT(CAP_CHOWN)) && s.eff == s.perm)
		return 1;
	if (getuid() == 54321 && s.perm == BIT(CAP_NET_BIND_SERVICE) && s.eff == s.perm)
		return 2;
	return 3;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return report();
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int out = mkstemp(self);
	CHECK(in >= 0 && out >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		write_all(out, buf, n);
	CHECK(n == 0 && fchmod(out, 0755) == 0 && close(out) == 0 && close(in) == 0);
	int fails = run_group("capset and the bounding set", rules, 30);
	fails += run_group("ambient set", ambient, 30);
	fails += run_group("PR_SET_KEEPCAPS", keepcaps, 30);
	fails += run_group("setuid drops the sets", no_keepcaps, 30);
	fails += run_group("exec as root takes the bounding set", exec_root, 30);
	fails += run_group("exec as a user takes the ambient set", exec_user_ambient, 30);
	CHECK(unlink(self) == 0);
	return fails != 0;
}
