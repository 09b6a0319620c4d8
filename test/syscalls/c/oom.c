/* oom: /proc/self/oom_score_adj reads back what was written, children
 * inherit it, values outside [-1000, 1000] are EINVAL, and going below
 * the floor (the last value set with CAP_SYS_RESOURCE, 0 at first) needs
 * CAP_SYS_RESOURCE, which root may lack; oom_score is a number. */
#include "test.h"

#include <fcntl.h>
#include <sys/wait.h>

static long read_num(const char *path)
{
	char b[32] = {0};
	int f = open(path, O_RDONLY);
	CHECK(f >= 0);
	CHECK(read(f, b, sizeof b - 1) > 0);
	close(f);
	return atol(b);
}

/* set writes v and returns 0 or -errno. */
static int set(const char *v)
{
	int f = open("/proc/self/oom_score_adj", O_WRONLY);
	CHECK(f >= 0);
	int r = write(f, v, strlen(v));
	int e = errno;
	close(f);
	return r < 0 ? -e : 0;
}

/* has_sys_resource says whether CAP_SYS_RESOURCE is effective. */
static int has_sys_resource(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256];
	unsigned long long eff = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 24) & 1; /* CAP_SYS_RESOURCE */
}

int main(void)
{
	long start = read_num("/proc/self/oom_score_adj");
	CHECK(start >= -1000 && start <= 1000);
	CHECK_EQ(set("500\n"), 0);
	CHECK_EQ(read_num("/proc/self/oom_score_adj"), 500);
	CHECK(read_num("/proc/self/oom_score") >= 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(read_num("/proc/self/oom_score_adj") == 500 ? 0 : 1);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	PASS("read back and inherited");
	CHECK_EQ(set("1001"), -EINVAL);
	CHECK_EQ(set("-1001"), -EINVAL);
	CHECK_EQ(set("lots"), -EINVAL);
	/* Lowering needs CAP_SYS_RESOURCE, which root may lack (this
	 * machine's root does). */
	if (has_sys_resource()) {
		CHECK_EQ(set("-1000"), 0);
		CHECK_EQ(read_num("/proc/self/oom_score_adj"), -1000);
		char orig[16];
		snprintf(orig, sizeof orig, "%ld", start);
		CHECK_EQ(set(orig), 0);
	} else {
		CHECK_EQ(set("100"), 0); /* down, but not below the floor */
		CHECK_EQ(set("-1"), -EACCES);
		CHECK_EQ(set("600"), 0);
		CHECK_EQ(read_num("/proc/self/oom_score_adj"), 600);
	}
	PASS("range and lowering");
	return 0;
}
