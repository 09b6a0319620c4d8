/* tmpfile: O_TMPFILE (unnamed, then linked in with linkat through
 * /proc/self/fd; O_EXCL forbids that). */
#include "test.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/cocoon-tmpfile-XXXXXX";

static void tmpfile_(void)
{
	int t = open(dir, O_TMPFILE | O_RDWR, 0600);
	CHECK(t >= 0);
	CHECK_EQ(write(t, "anon", 4), 4);
	struct stat st;
	CHECK(fstat(t, &st) == 0);
	CHECK_EQ(st.st_nlink, 0);
	CHECK(S_ISREG(st.st_mode));
	char proc[64], name[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t);
	snprintf(name, sizeof(name), "%s/linked", dir);
	CHECK(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0);
	CHECK(fstat(t, &st) == 0);
	CHECK_EQ(st.st_nlink, 1);
	char buf[8];
	int f = open(name, O_RDONLY);
	CHECK(f >= 0);
	CHECK_EQ(read(f, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "anon", 4) == 0);
	CHECK(close(f) == 0 && close(t) == 0);
	CHECK(unlink(name) == 0);
	/* O_EXCL: may never be linked */
	t = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	CHECK(t >= 0);
	CHECK_ERRNO(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW), ENOENT);
	CHECK(close(t) == 0);
	CHECK_ERRNO(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL); /* needs write */
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	int fails = run_group("o-tmpfile", tmpfile_, 30);
	CHECK(rm_tree(dir) == 0);
	return fails != 0;
}
