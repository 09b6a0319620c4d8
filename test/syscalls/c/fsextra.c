/* fsextra: user.* extended
 * attributes (set, get, list, replace/create flags, remove, ENODATA), where
 * /tmp's file system has them; SEEK_DATA/SEEK_HOLE bounds; fallocate; and
 * statfs of /proc. Files live in a fresh directory under /tmp. */
#include "test.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

static char dir[] = "/tmp/cocoon-fsextra-XXXXXX";

static void xattrs(void)
{
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s/x", dir);
	int f = open(name, O_CREAT | O_RDWR, 0600);
	CHECK(f >= 0);
	/* whether /tmp takes user xattrs depends on its file system (tmpfs
	 * only since Linux 6.6): not there, nothing to compare */
	if (fsetxattr(f, "user.cocoon", "v1", 2, 0) != 0 && errno == EOPNOTSUPP) {
		fprintf(stderr, "user xattrs not supported under /tmp here: skipped\n");
		CHECK(close(f) == 0 && unlink(name) == 0);
		return;
	}
	char v[16] = {0};
	CHECK_EQ(fgetxattr(f, "user.cocoon", v, sizeof(v)), 2);
	CHECK(memcmp(v, "v1", 2) == 0);
	CHECK_EQ(getxattr(name, "user.cocoon", NULL, 0), 2); /* size query */
	CHECK_ERRNO(fgetxattr(f, "user.cocoon", v, 1), ERANGE);
	CHECK_ERRNO(fsetxattr(f, "user.cocoon", "v2", 2, XATTR_CREATE), EEXIST);
	CHECK_ERRNO(fsetxattr(f, "user.other", "v2", 2, XATTR_REPLACE), ENODATA);
	CHECK(setxattr(name, "user.cocoon", "value2", 6, XATTR_REPLACE) == 0);
	CHECK_EQ(getxattr(name, "user.cocoon", v, sizeof(v)), 6);
	CHECK(fsetxattr(f, "user.second", "", 0, 0) == 0);
	char list[64];
	ssize_t n = flistxattr(f, list, sizeof(list));
	CHECK(n > 0);
	int found = 0;
	for (char *p = list; p < list + n; p += strlen(p) + 1)
		found += strcmp(p, "user.cocoon") == 0 || strcmp(p, "user.second") == 0;
	CHECK_EQ(found, 2);
	CHECK(fremovexattr(f, "user.second") == 0);
	CHECK_ERRNO(fremovexattr(f, "user.second"), ENODATA);
	CHECK_ERRNO(fgetxattr(f, "user.missing", v, sizeof(v)), ENODATA);
	CHECK_ERRNO(fsetxattr(f, "nonamespace", "v", 1, 0), EOPNOTSUPP);
	CHECK(close(f) == 0);
	CHECK(unlink(name) == 0);
}

static void holes(void)
{
	char name[PATH_MAX];
	snprintf(name, sizeof(name), "%s/h", dir);
	int f = open(name, O_CREAT | O_RDWR, 0600);
	CHECK(f >= 0);
	CHECK_EQ(pwrite(f, "d", 1, 1 << 20), 1);
	off_t d = lseek(f, 0, SEEK_DATA), h = lseek(f, 0, SEEK_HOLE);
	CHECK(d >= 0 && d <= (1 << 20));
	CHECK(h >= 0 && h <= (1 << 20) + 1);
	CHECK_EQ(lseek(f, (1 << 20) + 1, SEEK_HOLE), -1); /* at EOF: ENXIO */
	CHECK_EQ(errno, ENXIO);
	CHECK_ERRNO(lseek(f, 2 << 20, SEEK_DATA), ENXIO);
	CHECK(fallocate(f, 0, 0, 3 << 20) == 0);
	struct stat st;
	CHECK(fstat(f, &st) == 0);
	CHECK_EQ(st.st_size, 3 << 20);
	CHECK(fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 4 << 20) == 0);
	CHECK(fstat(f, &st) == 0);
	CHECK_EQ(st.st_size, 3 << 20);
	CHECK_ERRNO(fallocate(f, 0, -1, 10), EINVAL);
	CHECK(close(f) == 0);
	CHECK(unlink(name) == 0);
}

static void statfs_proc(void)
{
	struct statfs s;
	CHECK(statfs("/proc", &s) == 0);
	CHECK_EQ(s.f_type, PROC_SUPER_MAGIC);
	CHECK(statfs("/tmp", &s) == 0);
	CHECK(s.f_bsize > 0);
	CHECK_ERRNO(statfs("/nonexistent", &s), ENOENT);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	int fails = 0;
	/* O_TMPFILE: tmpfile.c */
	fails += run_group("user-xattrs", xattrs, 30);
	fails += run_group("seek-data-hole-fallocate", holes, 30);
	fails += run_group("statfs", statfs_proc, 30);
	CHECK(rm_tree(dir) == 0);
	return fails != 0;
}
