/* uname: the kernel reports itself as Linux on x86_64. The release is not
 * compared: the sandbox reports the sentry's own. */
#include "test.h"

#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	CHECK(uname(&u) == 0);
	CHECK(strcmp(u.sysname, "Linux") == 0);
	CHECK(strcmp(u.machine, "x86_64") == 0);
	CHECK(u.release[0] >= '1' && u.release[0] <= '9');
	CHECK(strchr(u.release, '.') != NULL);
	CHECK(u.version[0] != '\0');
	CHECK(u.nodename[0] != '\0');
	printf("sysname %s\nmachine %s\n", u.sysname, u.machine);
	return 0;
}
