/* fileops OP COUNT PATH: does one file operation COUNT times on PATH, for
 * counting the gofer round trips each costs (gofer_test.go runs it with
 * COUNT 0, 1 and 2 and compares the sentry's counts).
 *   open   open(PATH, O_RDONLY), read, close
 *   stat   stat(PATH)
 *   fstat  fstat of PATH opened once beforehand (also for COUNT 0)
 * It exits 1 with a message if an operation fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fileops: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: fileops open|stat|fstat COUNT PATH\n");
		return 2;
	}
	const char *op = argv[1], *path = argv[3];
	long n = atol(argv[2]);
	struct stat st;
	char buf[64];
	int fd = -1;
	if (strcmp(op, "fstat") == 0 && (fd = open(path, O_RDONLY)) < 0)
		die("open", path);
	for (long i = 0; i < n; i++) {
		if (strcmp(op, "open") == 0) {
			int f = open(path, O_RDONLY);
			if (f < 0)
				die("open", path);
			if (read(f, buf, sizeof buf) < 0)
				die("read", path);
			close(f);
		} else if (strcmp(op, "stat") == 0) {
			if (stat(path, &st) != 0)
				die("stat", path);
		} else if (strcmp(op, "fstat") == 0) {
			if (fstat(fd, &st) != 0)
				die("fstat", path);
		} else {
			fprintf(stderr, "fileops: unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
