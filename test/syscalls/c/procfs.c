/* procfs: /proc/self/{maps,cmdline,exe,fd,cwd,comm,stat,environ} and
 * /proc/{meminfo,cpuinfo,mounts}; /proc/self/exe after exec through a
 * relative path and through a symlink; /proc/[child]/status and stat of a
 * running and of a zombie child. Only what Linux and a sandbox must agree
 * on is checked: no sizes, addresses or counts that differ by machine. */
#include "test.h"

#include <dirent.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* slurp reads a whole file into a static buffer (NUL-terminated) and
 * returns its length. */
static char data[1 << 16];
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		CHECK(fd >= 0);
	}
	ssize_t n = 0, r;
	while ((r = read(fd, data + n, sizeof(data) - 1 - n)) > 0)
		n += r;
	CHECK(r == 0);
	CHECK(close(fd) == 0);
	data[n] = '\0';
	return n;
}

/* has_line reports whether data has a line for which match returns true. */
static int has_line(int (*match)(const char *line, const void *arg), const void *arg)
{
	char *save = NULL, *copy = strdup(data);
	CHECK(copy != NULL);
	int found = 0;
	for (char *l = strtok_r(copy, "\n", &save); l != NULL && !found; l = strtok_r(NULL, "\n", &save))
		found = match(l, arg);
	free(copy);
	return found;
}

static int ends_with_word(const char *line, const void *arg)
{
	const char *w = arg;
	size_t ll = strlen(line), wl = strlen(w);
	return ll > wl && strcmp(line + ll - wl, w) == 0 && line[ll - wl - 1] == ' ';
}

static int starts_with(const char *line, const void *arg)
{
	return strncmp(line, arg, strlen(arg)) == 0;
}

static int mount_at(const char *line, const void *arg)
{
	char dev[256], dir[256];
	return sscanf(line, "%255s %255s", dev, dir) == 2 && strcmp(dir, arg) == 0;
}

static void readlink_str(const char *path, char *out, size_t size)
{
	ssize_t n = readlink(path, out, size - 1);
	if (n < 0)
		fprintf(stderr, "readlink %s: %s\n", path, strerror(errno));
	CHECK(n > 0);
	out[n] = '\0';
}

/* child_mode: re-executed with arguments, the program checks its own
 * cmdline and exe against what the parent passed in the environment. */
static int child_mode(int argc, char **argv)
{
	/* cmdline is argv, each NUL-terminated */
	ssize_t n = slurp("/proc/self/cmdline");
	ssize_t want = 0;
	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	CHECK_EQ(n, want);
	const char *p = data;
	for (int i = 0; i < argc; i++) {
		CHECK(strcmp(p, argv[i]) == 0);
		p += strlen(p) + 1;
	}
	/* environ likewise */
	n = slurp("/proc/self/environ");
	CHECK(n > 0 && data[n - 1] == '\0');
	CHECK(memmem(data, n, "COCOON_PROCFS_EXE=", 18) != NULL);
	/* exe is the absolute path of the file, symlinks resolved */
	char exe[PATH_MAX];
	readlink_str("/proc/self/exe", exe, sizeof(exe));
	const char *wantexe = getenv("COCOON_PROCFS_EXE");
	CHECK(wantexe != NULL);
	if (strcmp(exe, wantexe) != 0) {
		fprintf(stderr, "exec'd as %s: /proc/self/exe is %s, want %s\n", argv[0], exe, wantexe);
		return 1;
	}
	/* comm is the basename of the path exec'd, at most 15 bytes */
	n = slurp("/proc/self/comm");
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s", strrchr(getenv("COCOON_PROCFS_PATH"), '/') + 1);
	base[15] = '\0';
	CHECK_EQ(n, strlen(base) + 1);
	CHECK(strncmp(data, base, strlen(base)) == 0 && data[n - 1] == '\n');
	return 0;
}

/* reexec runs the program again through path (argv[0] = path) with args,
 * and reports "ok name" if the child's checks pass, else "FAIL name" (the
 * other checks go on, and the test fails at the end). */
static int failures;
static void reexec(const char *name, const char *path, const char *real)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setenv("COCOON_PROCFS_EXE", real, 1);
		setenv("COCOON_PROCFS_PATH", path, 1);
		char *args[] = {(char *)path, "child", "two words", "", "last", NULL};
		execv(path, args);
		fprintf(stderr, "execv %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		PASS(name);
		return;
	}
	printf("FAIL %s\n", name);
	failures++;
}

static int body(char **argv, const char *tmp)
{
	char real[PATH_MAX], exe[PATH_MAX], buf[PATH_MAX];
	CHECK(realpath(argv[0], real) != NULL);
	readlink_str("/proc/self/exe", exe, sizeof(exe));
	CHECK(strcmp(exe, real) == 0);
	PASS("exe");

	/* maps: the binary and the stack are there */
	slurp("/proc/self/maps");
	CHECK(has_line(ends_with_word, real));
	CHECK(has_line(ends_with_word, "[stack]"));
	/* every line is "start-end perms offset dev inode [path]" */
	char *save = NULL;
	int lines = 0;
	for (char *l = strtok_r(data, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		unsigned long start, end, off, inode;
		char perms[8], dev[16];
		CHECK_EQ(sscanf(l, "%lx-%lx %7s %lx %15s %lu", &start, &end, perms, &off, dev, &inode), 6);
		CHECK(start < end && start % 4096 == 0 && end % 4096 == 0);
		CHECK_EQ(strlen(perms), 4);
		CHECK(perms[3] == 'p' || perms[3] == 's');
		lines++;
	}
	CHECK(lines >= 3);
	PASS("maps");

	/* cmdline and exe of a re-executed copy: by the absolute path, through
	 * /proc/self/exe, by a relative path and through a symlink */
	reexec("cmdline", real, real);
	reexec("exe-after-exec-of-proc-self-exe", "/proc/self/exe", real);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", real);
	char *d = dirname(dir);
	char rel[PATH_MAX + 2];
	snprintf(rel, sizeof(rel), "./%s", strrchr(real, '/') + 1);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(chdir(d) == 0);
	reexec("exe-after-relative-exec", rel, real);
	CHECK(chdir(buf) == 0);
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/a-link-with-a-long-name", tmp);
	CHECK(symlink(real, link) == 0);
	reexec("exe-after-symlink-exec", link, real);

	/* fd: the open descriptors, and what they are */
	int p[2];
	CHECK(pipe(p) == 0);
	CHECK(dup2(p[0], 42) == 42);
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	DIR *fds = fdopendir(dfd);
	CHECK(fds != NULL);
	int seen0 = 0, seenp0 = 0, seenp1 = 0, seen42 = 0, seendir = 0, dots = 0;
	struct dirent *e;
	while ((e = readdir(fds)) != NULL) {
		if (e->d_name[0] == '.') {
			dots++;
			continue;
		}
		int fd = atoi(e->d_name);
		CHECK_EQ(e->d_type, DT_LNK);
		seen0 |= fd == 0;
		seenp0 |= fd == p[0];
		seenp1 |= fd == p[1];
		seen42 |= fd == 42;
		seendir |= fd == dfd;
	}
	CHECK(seen0 && seenp0 && seenp1 && seen42 && seendir);
	CHECK_EQ(dots, 2);
	CHECK(closedir(fds) == 0);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", p[0]);
	char target[PATH_MAX], target42[PATH_MAX];
	readlink_str(buf, target, sizeof(target));
	CHECK(strncmp(target, "pipe:[", 6) == 0 && target[strlen(target) - 1] == ']');
	readlink_str("/proc/self/fd/42", target42, sizeof(target42));
	CHECK(strcmp(target, target42) == 0); /* same pipe, same inode */
	struct stat st;
	CHECK(stat("/proc/self/fd/42", &st) == 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK(close(42) == 0);
	CHECK_ERRNO(readlink("/proc/self/fd/42", target, sizeof(target)), ENOENT);
	/* a regular file's link is its path, and opening the link reopens it */
	char fpath[PATH_MAX];
	snprintf(fpath, sizeof(fpath), "%s/file", tmp);
	int f = open(fpath, O_CREAT | O_RDWR, 0600);
	CHECK(f >= 0);
	write_all(f, "through the link", 16);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", f);
	readlink_str(buf, target, sizeof(target));
	CHECK(strcmp(target, fpath) == 0);
	int f2 = open(buf, O_RDONLY);
	CHECK(f2 >= 0);
	char got[32];
	CHECK_EQ(read(f2, got, sizeof(got)), 16);
	CHECK(memcmp(got, "through the link", 16) == 0);
	CHECK(close(f2) == 0);
	readlink_str("/proc/self/fd/0", target, sizeof(target));
	PASS("fd");

	/* cwd follows chdir */
	CHECK(chdir(tmp) == 0);
	readlink_str("/proc/self/cwd", target, sizeof(target));
	CHECK(strcmp(target, tmp) == 0);
	CHECK(chdir("/") == 0);
	readlink_str("/proc/self/cwd", target, sizeof(target));
	CHECK(strcmp(target, "/") == 0);
	readlink_str("/proc/self/root", target, sizeof(target));
	CHECK(strcmp(target, "/") == 0);
	PASS("cwd");

	/* unlinking the file shows in its fd link */
	CHECK(unlink(fpath) == 0);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", f);
	readlink_str(buf, target, sizeof(target));
	snprintf(got, sizeof(got), "%s", " (deleted)");
	CHECK(strlen(target) == strlen(fpath) + 10 && strncmp(target, fpath, strlen(fpath)) == 0 &&
	      strcmp(target + strlen(fpath), " (deleted)") == 0);
	CHECK(close(f) == 0);
	CHECK(unlink(link) == 0);
	PASS("fd-deleted");

	/* system-wide files */
	slurp("/proc/meminfo");
	CHECK(has_line(starts_with, "MemTotal:"));
	CHECK(has_line(starts_with, "MemFree:"));
	slurp("/proc/cpuinfo");
	CHECK(has_line(starts_with, "processor"));
	slurp("/proc/mounts");
	CHECK(has_line(mount_at, "/proc"));
	CHECK(has_line(mount_at, "/"));
	slurp("/proc/self/mounts");
	CHECK(has_line(mount_at, "/proc"));
	slurp("/proc/filesystems");
	CHECK(strstr(data, "\tproc\n") != NULL);
	slurp("/proc/version");
	CHECK(strncmp(data, "Linux version ", 14) == 0);
	long up1, up2;
	slurp("/proc/uptime");
	CHECK_EQ(sscanf(data, "%ld.%*d %ld", &up1, &up2), 2);
	slurp("/proc/loadavg");
	CHECK(strchr(data, '/') != NULL);
	PASS("system-files");

	/* stat and status of self */
	slurp("/proc/self/stat");
	char *rp = strrchr(data, ')');
	CHECK(rp != NULL && rp[1] == ' ' && rp[2] == 'R');
	int spid = 0, sppid = 0;
	CHECK_EQ(sscanf(data, "%d", &spid), 1);
	CHECK_EQ(spid, getpid());
	CHECK_EQ(sscanf(rp + 4, "%d", &sppid), 1);
	CHECK_EQ(sppid, getppid());
	slurp("/proc/self/status");
	snprintf(buf, sizeof(buf), "Name:\t%.15s\n", strrchr(real, '/') + 1);
	CHECK(strncmp(data, buf, strlen(buf)) == 0);
	CHECK(strstr(data, "\nState:\tR (running)\n") != NULL);
	PASS("self-stat");

	/* a running child: its status names us as parent, and it goes from
	 * running to zombie to gone */
	int go[2];
	CHECK(pipe(go) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char c;
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	CHECK(close(go[0]) == 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	slurp(path);
	snprintf(buf, sizeof(buf), "\nPPid:\t%d\n", getpid());
	CHECK(strstr(data, buf) != NULL);
	snprintf(buf, sizeof(buf), "\nPid:\t%d\n", pid);
	CHECK(strstr(data, buf) != NULL);
	/* it blocks in read soon: wait for it to show as sleeping */
	for (int i = 0; i < 500 && strstr(data, "\nState:\tS (sleeping)\n") == NULL; i++) {
		usleep(10000);
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		slurp(path);
	}
	CHECK(strstr(data, "\nState:\tS (sleeping)\n") != NULL);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	/* it shows in the /proc listing */
	DIR *pd = opendir("/proc");
	CHECK(pd != NULL);
	int listed = 0, listed_self = 0;
	while ((e = readdir(pd)) != NULL) {
		listed |= atoi(e->d_name) == pid;
		listed_self |= atoi(e->d_name) == getpid();
	}
	CHECK(closedir(pd) == 0);
	CHECK(listed && listed_self);
	/* let it exit: a zombie until waited for */
	CHECK(close(go[1]) == 0);
	siginfo_t si;
	CHECK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	slurp(path);
	rp = strrchr(data, ')');
	CHECK(rp != NULL && rp[2] == 'Z');
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
	PASS("child-status");
	return failures != 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_mode(argc, argv);
	/* The checks run in a child, so that the scratch directory goes even
	 * when one of them fails. */
	char tmp[] = "/tmp/cocoon-procfs-XXXXXX";
	CHECK(mkdtemp(tmp) != NULL);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int r = body(argv, tmp);
		fflush(stdout);
		_exit(r);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(rm_tree(tmp) == 0);
	CHECK(WIFEXITED(status));
	return WEXITSTATUS(status);
}
