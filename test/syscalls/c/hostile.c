/* hostile: hostile arguments get the errno Linux gives and leave the
 * process working: NULL, misaligned, non-canonical, kernel, unmapped and
 * read-only pointers for input and output buffers, paths, argv/envp, pipe
 * fds, wait status, sigaction, uname, clock_gettime, getcwd, readlink,
 * getdents64, iovecs, poll/select; huge and zero lengths for mmap, munmap
 * and mprotect; garbage brk; bad signals and sigset sizes; negative and huge
 * fds; lseek overflow; bad syscall numbers. Each group runs in its own child
 * so that one wrong answer does not hide the others. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

/* ERR checks like CHECK_ERRNO but records the failure and goes on. */
static int failed;
#define ERR(call, err) EXPECT_ERRNO(call, err, failed = 1)
/* OK checks a condition, recording a failure and going on. */
#define OK(cond)                                                            \
	do {                                                                \
		if (!(cond)) {                                              \
			int e_ = errno;                                     \
			fprintf(stderr, "%s:%d: %s failed, errno=%d (%s)\n", \
				__FILE__, __LINE__, #cond, e_, strerror(e_)); \
			failed = 1;                                         \
		}                                                           \
	} while (0)

/* finish ends a group: its child exits 1 if any check failed. */
static void finish(void)
{
	fflush(stdout);
	_exit(failed ? 1 : 0);
}

/* The compiler must neither warn about nor reason from the bad values
 * these calls are made with: launder them through an empty asm. */
#pragma GCC diagnostic ignored "-Wnonnull"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wstringop-overread"
static inline uintptr_t launder(uintptr_t x)
{
	__asm__("" : "+r"(x));
	return x;
}
#define BAD(x) ((void *)launder((uintptr_t)(x)))
#define NUL BAD(0)
#define KERNEL BAD(0xffff800000000000UL)
#define NONCANON BAD(0x0000800000000000UL)
#define ONE BAD(1)

static long pg;
static char *unmapped; /* a page with nothing mapped */
static char *rdonly;   /* a read-only page of 'r' bytes */
static char *edge;     /* the last byte of a mapped page followed by unmapped */
static char *file;     /* path of a scratch file holding data */

static void io(void)
{
	int fd = open(file, O_RDWR);
	CHECK(fd >= 0);
	char buf[16];
	void *bad[] = {NUL, ONE, KERNEL, NONCANON, unmapped};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ERR(pread(fd, bad[i], 10, 0), EFAULT);
		ERR(pwrite(fd, bad[i], 10, 0), EFAULT);
		ERR(read(fd, bad[i], 10), EFAULT);
		ERR(write(fd, bad[i], 10), EFAULT);
	}
	OK(lseek(fd, 0, SEEK_CUR) == 0);
	ERR(pread(fd, rdonly, 10, 0), EFAULT); /* output into a read-only page */
	OK(rdonly[0] == 'r');
	/* zero lengths never touch the buffer */
	OK(read(fd, NUL, 0) == 0);
	OK(write(fd, NUL, 0) == 0);
	/* the file is unharmed */
	OK(pread(fd, buf, sizeof(buf), 0) == 10 && memcmp(buf, "0123456789", 10) == 0);
	/* a buffer running into an unmapped page: a short read/write up to
	 * the hole */
	OK(pread(fd, edge, 10, 0) == 1 && edge[0] == '0');
	edge[0] = 'E';
	OK(pwrite(fd, edge, 10, 0) == 1);
	OK(pread(fd, buf, 2, 0) == 2 && memcmp(buf, "E1", 2) == 0);
	OK(pwrite(fd, "0", 1, 0) == 1);
	/* /dev/zero writes into the buffer, /dev/null never reads it */
	int z = open("/dev/zero", O_RDONLY);
	CHECK(z >= 0);
	ERR(read(z, NUL, 10), EFAULT);
	ERR(read(z, rdonly, 10), EFAULT);
	int n = open("/dev/null", O_WRONLY);
	CHECK(n >= 0);
	OK(write(n, NUL, 10) == 10);
	/* pipes: a failed read leaves the data in the pipe (non-blocking, so
	 * that losing it fails rather than hangs) */
	int p[2];
	CHECK(pipe2(p, O_NONBLOCK) == 0);
	ERR(write(p[1], KERNEL, 10), EFAULT);
	ERR(write(p[1], NUL, 10), EFAULT);
	OK(write(p[1], "abc", 3) == 3);
	ERR(read(p[0], NUL, 3), EFAULT);
	ERR(read(p[0], rdonly, 3), EFAULT);
	OK(read(p[0], buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
	/* iovecs */
	struct iovec iov[2] = {{buf, 1}, {NUL, 5}};
	ERR(readv(fd, NUL, 1), EFAULT);
	ERR(readv(fd, KERNEL, 1), EFAULT);
	ERR(readv(fd, iov, -1), EINVAL);
	ERR(readv(fd, iov, IOV_MAX + 1), EINVAL);
	struct iovec neg[1] = {{buf, (size_t)-1}};
	ERR(readv(fd, neg, 1), EINVAL);
	OK(preadv(fd, iov, 2, 0) == 1); /* the bad second iovec: short read */
	iov[0].iov_base = KERNEL;
	ERR(preadv(fd, iov, 2, 0), EFAULT);
	ERR(pwritev(fd, iov, 2, 0), EFAULT);
	OK(readv(fd, iov, 0) == 0);
	CHECK(close(fd) == 0 && close(z) == 0 && close(n) == 0);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	finish();
}

static void paths(void)
{
	struct stat st;
	void *bad[] = {NUL, ONE, KERNEL, NONCANON, unmapped};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ERR(open(bad[i], O_RDONLY), EFAULT);
		ERR(stat(bad[i], &st), EFAULT);
		ERR(stat("/", bad[i]), EFAULT);
		ERR(lstat(file, bad[i]), EFAULT);
		ERR(fstat(0, bad[i]), EFAULT);
		ERR(access(bad[i], F_OK), EFAULT);
		ERR(mkdir(bad[i], 0755), EFAULT);
		ERR(unlink(bad[i]), EFAULT);
		ERR(chdir(bad[i]), EFAULT);
		ERR(rename(bad[i], "/tmp/x"), EFAULT);
		ERR(rename(file, bad[i]), EFAULT);
		ERR(symlink(bad[i], "/tmp/x"), EFAULT);
		ERR(readlink(bad[i], rdonly, 10), EFAULT);
		ERR(syscall(SYS_statx, AT_FDCWD, "/", 0, STATX_BASIC_STATS, bad[i]), EFAULT);
	}
	ERR(stat("/", (struct stat *)rdonly), EFAULT);
	/* a path with no NUL before an unmapped page */
	ERR(open(edge, O_RDONLY), EFAULT);
	edge[0] = '\0';
	ERR(open(edge, O_RDONLY), ENOENT); /* the empty path */
	/* too long */
	static char longp[PATH_MAX + 10];
	memset(longp, 'a', sizeof(longp) - 1);
	ERR(open(longp, O_RDONLY), ENAMETOOLONG);
	ERR(stat(longp, &st), ENAMETOOLONG);
	static char longname[300];
	longname[0] = '/';
	memset(longname + 1, 'b', sizeof(longname) - 2);
	ERR(open(longname, O_RDONLY), ENAMETOOLONG);
	/* readlink */
	ERR(readlink("/proc/self/exe", NUL, 100), EFAULT);
	ERR(readlink("/proc/self/exe", rdonly, 100), EFAULT);
	ERR(readlink("/proc/self/exe", KERNEL, 100), EFAULT);
	char buf[8];
	ERR(readlink("/proc/self/exe", buf, 0), EINVAL);
	ERR(readlink("/proc/self/exe", buf, -1), EINVAL);
	/* getcwd (the raw system call: glibc allocates for NULL) */
	ERR(syscall(SYS_getcwd, NULL, 100), EFAULT);
	ERR(syscall(SYS_getcwd, rdonly, 100), EFAULT);
	ERR(syscall(SYS_getcwd, KERNEL, 100), EFAULT);
	ERR(syscall(SYS_getcwd, buf, 0), ERANGE);
	ERR(syscall(SYS_getcwd, buf, 1), ERANGE);
	ERR(syscall(SYS_getcwd, NULL, 0), ERANGE);
	finish();
}

static void dirents(void)
{
	int d = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(d >= 0);
	ERR(syscall(SYS_getdents64, d, NULL, 4096), EFAULT);
	ERR(syscall(SYS_getdents64, d, KERNEL, 4096), EFAULT);
	ERR(syscall(SYS_getdents64, d, rdonly, 4096), EFAULT);
	ERR(syscall(SYS_getdents64, d, unmapped, 4096), EFAULT);
	char buf[4096];
	ERR(syscall(SYS_getdents64, d, buf, 0), EINVAL);
	ERR(syscall(SYS_getdents64, -1, buf, sizeof(buf)), EBADF);
	ERR(syscall(SYS_getdents64, 9999, buf, sizeof(buf)), EBADF);
	int f = open(file, O_RDONLY);
	CHECK(f >= 0);
	ERR(syscall(SYS_getdents64, f, buf, sizeof(buf)), ENOTDIR);
	/* the directory still reads after the faults */
	OK(syscall(SYS_getdents64, d, buf, sizeof(buf)) > 0);
	CHECK(close(d) == 0 && close(f) == 0);
	finish();
}

static void exec_args(void)
{
	char *argv[] = {"/bin/true", NULL};
	char *envp[] = {NULL};
	char *badv[] = {"/bin/true", KERNEL, NULL};
	char *badv2[] = {"/bin/true", ONE, NULL};
	ERR(execve(NUL, argv, envp), EFAULT);
	ERR(execve(KERNEL, argv, envp), EFAULT);
	ERR(execve("/bin/true", KERNEL, envp), EFAULT);
	ERR(execve("/bin/true", (char **)ONE, envp), EFAULT);
	ERR(execve("/bin/true", (char **)unmapped, envp), EFAULT);
	ERR(execve("/bin/true", badv, envp), EFAULT);
	ERR(execve("/bin/true", badv2, envp), EFAULT);
	ERR(execve("/bin/true", argv, (char **)KERNEL), EFAULT);
	ERR(execve("/bin/true", argv, (char **)unmapped), EFAULT);
	ERR(execve("/bin/true", argv, badv), EFAULT);
	/* an argv array that runs into an unmapped page */
	char **tail = (char **)(edge + 1) - 1;
	*tail = "/bin/true";
	ERR(execve("/bin/true", tail, envp), EFAULT);
	ERR(execve("/nonexistent/cocoon", argv, envp), ENOENT);
	ERR(execve(file, argv, envp), EACCES); /* not executable */
	ERR(execve("/", argv, envp), EACCES);
	finish();
}

static void pipes_and_wait(void)
{
	int lowest = open("/dev/null", O_RDONLY);
	CHECK(lowest >= 0);
	CHECK(close(lowest) == 0);
	ERR(pipe(NUL), EFAULT);
	ERR(pipe((int *)KERNEL), EFAULT);
	ERR(pipe((int *)rdonly), EFAULT);
	ERR(pipe2((int *)unmapped, O_CLOEXEC), EFAULT);
	/* no descriptors leaked by the failed calls */
	int again = open("/dev/null", O_RDONLY);
	OK(again == lowest);
	CHECK(close(again) == 0);

	/* wait4 with a bad status pointer: EFAULT, but the child is reaped */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(3);
	ERR(wait4(pid, (int *)KERNEL, 0, NULL), EFAULT);
	ERR(wait4(pid, NULL, 0, NULL), ECHILD);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(4);
	ERR(wait4(pid, NULL, 0, (struct rusage *)KERNEL), EFAULT);
	ERR(wait4(pid, NULL, 0, NULL), ECHILD);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(5);
	ERR(wait4(pid, NULL, 0x00100000, NULL), EINVAL); /* unknown option bit */
	ERR(wait4(pid, NULL, WEXITED, NULL), EINVAL); /* waitid's, not wait4's */
	int status;
	ERR(waitid(P_PID, pid, (siginfo_t *)KERNEL, WEXITED), EFAULT);
	ERR(waitid(P_PID, pid, NULL, 0), EINVAL); /* no WEXITED etc. */
	ERR(waitid(99, pid, NULL, WEXITED), EINVAL);
	OK(wait4(pid, &status, 0, NULL) == pid || errno == ECHILD);
	ERR(wait4(-1, &status, WNOHANG, NULL), ECHILD);
	finish();
}

static void signals(void)
{
	struct sigaction sa = {0}, old;
	sa.sa_handler = SIG_IGN;
	/* the raw call: glibc's sigaction copies the structures itself */
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, KERNEL, NULL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, unmapped, NULL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, KERNEL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, &sa, rdonly, 8), EFAULT);
	ERR(sigaction(0, &sa, NULL), EINVAL);
	ERR(sigaction(-1, &sa, NULL), EINVAL);
	ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	OK(sigaction(SIGSTOP, NULL, &old) == 0); /* reading is allowed */
	/* the raw call with a wrong sigset size */
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 4), EINVAL);
	ERR(syscall(SYS_rt_sigaction, SIGUSR1, &sa, NULL, 16), EINVAL);
	ERR(syscall(SYS_rt_sigaction, 65, &sa, NULL, 8), EINVAL);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 0), EINVAL);
	ERR(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, KERNEL, NULL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, KERNEL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, rdonly, 8), EFAULT);
	ERR(syscall(SYS_rt_sigpending, KERNEL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigpending, &set, 16), EINVAL);
	ERR(syscall(SYS_rt_sigsuspend, KERNEL, 8), EFAULT);
	ERR(syscall(SYS_rt_sigsuspend, &set, 4), EINVAL);
	/* nothing got blocked by the failed calls */
	sigset_t cur;
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
	OK(!sigismember(&cur, SIGUSR2));

	ERR(kill(getpid(), 65), EINVAL);
	ERR(kill(getpid(), -1), EINVAL);
	ERR(kill(getpid(), INT_MAX), EINVAL);
	ERR(kill(INT_MAX, 0), ESRCH);
	ERR(kill(INT_MIN, 0), ESRCH);
	ERR(syscall(SYS_tgkill, 0, getpid(), 0), EINVAL);
	ERR(syscall(SYS_tgkill, getpid(), -5, 0), EINVAL);
	ERR(syscall(SYS_tgkill, getpid(), getpid(), 99), EINVAL);
	ERR(syscall(SYS_tkill, 0, 0), EINVAL);
	ERR(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, KERNEL), EFAULT);

	stack_t ss = {0};
	ERR(sigaltstack(KERNEL, NULL), EFAULT);
	ERR(sigaltstack(NULL, (stack_t *)KERNEL), EFAULT);
	ss.ss_sp = malloc(1024);
	ss.ss_size = 1024; /* below MINSIGSTKSZ */
	ERR(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = 65536;
	ss.ss_flags = 0x1234;
	ERR(sigaltstack(&ss, NULL), EINVAL);
	finish();
}

static void misc(void)
{
	ERR(uname(NUL), EFAULT);
	ERR(uname((struct utsname *)KERNEL), EFAULT);
	ERR(uname((struct utsname *)rdonly), EFAULT);
	struct timespec ts;
	ERR(syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL), EFAULT);
	ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, KERNEL), EFAULT);
	ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, rdonly), EFAULT);
	ERR(syscall(SYS_clock_gettime, 12345, &ts), EINVAL);
	ERR(syscall(SYS_clock_getres, 12345, &ts), EINVAL);
	ERR(syscall(SYS_gettimeofday, KERNEL, NULL), EFAULT);
	ERR(syscall(SYS_time, KERNEL), EFAULT);
	ERR(nanosleep(NUL, NULL), EFAULT);
	ERR(nanosleep(KERNEL, NULL), EFAULT);
	struct timespec badns = {0, 1000000000};
	ERR(nanosleep(&badns, NULL), EINVAL);
	struct timespec negs = {-1, 0};
	ERR(nanosleep(&negs, NULL), EINVAL);
	ERR(syscall(SYS_clock_nanosleep, 12345, 0, &ts, NULL), EINVAL);
	ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, KERNEL), EFAULT);
	ERR(syscall(SYS_getrlimit, 1000, &ts), EINVAL);
	ERR(syscall(SYS_getrusage, 99, &ts), EINVAL);
	ERR(syscall(SYS_getrusage, RUSAGE_SELF, KERNEL), EFAULT);
	ERR(syscall(SYS_sysinfo, KERNEL), EFAULT);
	ERR(syscall(SYS_times, KERNEL), EFAULT);
	ERR(syscall(SYS_getgroups, -1, NULL), EINVAL);
	ERR(syscall(SYS_getrandom, KERNEL, 16, 0), EFAULT);
	ERR(syscall(SYS_getrandom, &ts, 8, 0x1000), EINVAL);
	ERR(syscall(SYS_futex, NUL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	ERR(syscall(SYS_futex, KERNEL, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT);
	ERR(syscall(SYS_futex, (char *)&ts + 1, FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	ERR(syscall(SYS_futex, unmapped, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	ERR(syscall(SYS_futex, &ts, 99, 0, NULL, NULL, 0), ENOSYS);
	/* FUTEX_WAIT honours its timeout (alarm: fail, don't hang) */
	alarm(10);
	int word = 0;
	struct timespec short_to = {0, 20 * 1000 * 1000};
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT, 0, &short_to, NULL, 0), ETIMEDOUT);
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &short_to, NULL, 0), ETIMEDOUT);
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT, 0, KERNEL, NULL, 0), EFAULT);
	struct timespec bad_to = {0, -1};
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT, 0, &bad_to, NULL, 0), EINVAL);
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT, 1, &short_to, NULL, 0), EAGAIN);
	alarm(0);
	ERR(syscall(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, KERNEL), EPERM);
	ERR(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
	ERR(syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, KERNEL), EFAULT);
	ERR(prctl(0x7fffffff, 0, 0, 0, 0), EINVAL);
	ERR(prctl(PR_SET_NAME, KERNEL, 0, 0, 0), EFAULT);
	ERR(prctl(PR_GET_NAME, KERNEL, 0, 0, 0), EFAULT);
	ERR(syscall(100000), ENOSYS);
	ERR(syscall(-1), ENOSYS);
	ERR(syscall(0x40000000 | SYS_getpid), ENOSYS); /* the x32 bit */
	int f = open(file, O_RDONLY);
	CHECK(f >= 0);
	ERR(ioctl(f, 0x12345678, 0), ENOTTY);
	ERR(ioctl(-1, 0x12345678, 0), EBADF);
	CHECK(close(f) == 0);
	finish();
}

static void memory(void)
{
	void *m;
	ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	m = mmap(NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM);
	m = mmap(NULL, (size_t)-1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM);
	m = mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM);
	m = mmap(KERNEL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM);
	m = mmap(NONCANON, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM);
	m = mmap((void *)0x7ffffffff000UL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	OK(m == MAP_FAILED && errno == ENOMEM); /* runs past the top */
	m = mmap(unmapped + 1, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	OK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0); /* neither private nor shared */
	OK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	OK(m == MAP_FAILED && errno == EINVAL);
	int f = open(file, O_RDONLY);
	CHECK(f >= 0);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, 1);
	OK(m == MAP_FAILED && errno == EINVAL); /* unaligned offset */
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, f, -4096);
	OK(m == MAP_FAILED && errno == EOVERFLOW); /* the page offset wraps */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	OK(m == MAP_FAILED && errno == EACCES); /* shared writable on O_RDONLY */
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0);
	OK(m == MAP_FAILED && errno == EBADF);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 9999, 0);
	OK(m == MAP_FAILED && errno == EBADF);
	int d = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(d >= 0);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, d, 0);
	OK(m == MAP_FAILED && errno == ENODEV);
	CHECK(close(d) == 0 && close(f) == 0);

	ERR(munmap(unmapped + 1, 4096), EINVAL);
	ERR(munmap(unmapped, 0), EINVAL);
	OK(munmap(unmapped, 4096) == 0); /* nothing there: fine */
	ERR(munmap(KERNEL, 4096), EINVAL);
	ERR(munmap(unmapped, (size_t)-4096), EINVAL);
	ERR(munmap((void *)0x7ffffffff000UL, 1UL << 40), EINVAL);

	ERR(mprotect(unmapped + 1, 4096, PROT_READ), EINVAL);
	ERR(mprotect(unmapped, 4096, PROT_READ), ENOMEM);
	ERR(mprotect(rdonly, 4096, 0x1000), EINVAL); /* unknown prot bit */
	ERR(mprotect(rdonly, 2 * 4096, PROT_READ | PROT_WRITE), ENOMEM); /* beyond */
	ERR(mprotect(KERNEL, 4096, PROT_READ), ENOMEM);
	ERR(mprotect(rdonly, (size_t)-4096, PROT_READ), ENOMEM);
	OK(mprotect(rdonly, 0, PROT_READ) == 0);
	ERR(madvise(unmapped + 1, 4096, MADV_DONTNEED), EINVAL);
	ERR(madvise(rdonly, 4096, 12345), EINVAL);
	ERR(mlock(KERNEL, 4096), ENOMEM);
	ERR(syscall(SYS_mremap, unmapped + 1, 4096, 8192, 0), EINVAL);
	ERR(syscall(SYS_mremap, unmapped, 4096, 8192, 0), EFAULT);
	ERR(syscall(SYS_mremap, rdonly, 4096, 0, 0), EINVAL);
	ERR(msync(unmapped + 1, 4096, MS_SYNC), EINVAL);
	ERR(msync(unmapped, 4096, MS_SYNC), ENOMEM);
	ERR(syscall(SYS_mincore, unmapped, 4096, rdonly), ENOMEM);

	/* the read-only page is still read-only and intact */
	OK(rdonly[4095] == 'r');

	/* brk: garbage requests leave the break where it was */
	long cur = syscall(SYS_brk, 0);
	OK(cur > 0);
	OK(syscall(SYS_brk, 1) == cur);
	OK(syscall(SYS_brk, (long)KERNEL) == cur);
	OK(syscall(SYS_brk, -1L) == cur);
	OK(syscall(SYS_brk, cur - (1L << 40)) == cur);
	OK(syscall(SYS_brk, 0) == cur);
	/* and a real request still works */
	OK(syscall(SYS_brk, cur + 8192) == cur + 8192);
	((volatile char *)cur)[8191] = 1;
	OK(syscall(SYS_brk, cur) == cur);
	finish();
}

static void fds(void)
{
	char buf[8];
	struct stat st;
	int fdsv[] = {-1, -1000, INT_MIN, INT_MAX, 1 << 20, 65536};
	for (unsigned i = 0; i < sizeof(fdsv) / sizeof(fdsv[0]); i++) {
		int fd = fdsv[i];
		ERR(read(fd, buf, 1), EBADF);
		ERR(write(fd, buf, 1), EBADF);
		ERR(close(fd), EBADF);
		ERR(fstat(fd, &st), EBADF);
		ERR(dup(fd), EBADF);
		ERR(fcntl(fd, F_GETFL), EBADF);
		ERR(lseek(fd, 0, SEEK_SET), EBADF);
		ERR(fchdir(fd), EBADF);
		ERR(ftruncate(fd, 0), EBADF);
		ERR(openat(fd, "x", O_RDONLY), EBADF);
		ERR(syscall(SYS_newfstatat, fd, "x", &st, 0), EBADF);
	}
	/* an absolute path ignores a bad dirfd */
	int ok = openat(-5, "/", O_RDONLY);
	OK(ok >= 0);
	CHECK(close(ok) == 0);
	ERR(dup2(0, -1), EBADF);
	ERR(dup2(0, INT_MAX), EBADF);
	ERR(dup2(-1, 5), EBADF);
	ERR(dup3(0, INT_MAX, 0), EBADF);
	ERR(dup3(0, 5, 0x1234), EINVAL);
	ERR(fcntl(0, F_DUPFD, -1), EINVAL);
	ERR(fcntl(0, F_DUPFD, INT_MAX), EINVAL);
	ERR(fcntl(0, 0x7fff, 0), EINVAL);
	ERR(syscall(SYS_close_range, 10, 5, 0), EINVAL);

	/* lseek: negative results and overflow */
	int fd = open(file, O_RDONLY);
	CHECK(fd >= 0);
	OK(lseek(fd, 5, SEEK_SET) == 5);
	ERR(lseek(fd, -6, SEEK_CUR), EINVAL);
	ERR(lseek(fd, LLONG_MIN, SEEK_CUR), EINVAL);
	ERR(lseek(fd, LLONG_MAX, SEEK_END), EINVAL);
	ERR(lseek(fd, LLONG_MIN, SEEK_END), EINVAL);
	ERR(lseek(fd, 0, 99), EINVAL);
	ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	OK(lseek(fd, 0, SEEK_CUR) == 5); /* failures left the offset */
	ERR(pread(fd, buf, 1, -1), EINVAL);
	ERR(pread(fd, buf, 1, LLONG_MIN), EINVAL);
	int p[2];
	CHECK(pipe(p) == 0);
	ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	ERR(pread(p[0], buf, 1, 0), ESPIPE);
	ERR(pwrite(p[1], buf, 1, 0), ESPIPE);

	/* poll and select */
	ERR(poll(NUL, 1, 0), EFAULT);
	ERR(poll(KERNEL, 1, 0), EFAULT);
	OK(poll(NULL, 0, 0) == 0);
	struct pollfd pf = {p[0], POLLIN, 0};
	ERR(poll(&pf, 1U << 30, 0), EINVAL);
	ERR(poll(&pf, (nfds_t)-1, 0), EINVAL);
	ERR(poll((struct pollfd *)rdonly, 1, 0), EFAULT); /* revents is output */
	ERR(syscall(SYS_ppoll, &pf, 1, KERNEL, NULL, 8), EFAULT);
	struct timespec badts = {0, 2000000000};
	ERR(syscall(SYS_ppoll, &pf, 1, &badts, NULL, 8), EINVAL);
	struct timespec zero = {0, 0};
	sigset_t ss;
	sigemptyset(&ss);
	ERR(syscall(SYS_ppoll, &pf, 1, &zero, &ss, 4), EINVAL);
	ERR(syscall(SYS_ppoll, &pf, 1, &zero, KERNEL, 8), EFAULT);
	ERR(select(-1, NULL, NULL, NULL, NULL), EINVAL);
	struct timeval tv = {0, 0};
	/* the raw call: glibc's select converts the timeout itself */
	ERR(syscall(SYS_select, 1, KERNEL, NULL, NULL, &tv), EFAULT);
	ERR(syscall(SYS_select, 1, NULL, NULL, NULL, KERNEL), EFAULT);
	struct timeval badtv = {-1, 0};
	ERR(syscall(SYS_select, 1, NULL, NULL, NULL, &badtv), EINVAL);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0 && close(fd) == 0);
	finish();
}

/* still_fine checks that a process that went through all of the above can
 * still allocate, fork, exec, and take a signal. */
static void still_fine(void)
{
	char *m = malloc(1 << 20);
	CHECK(m != NULL);
	memset(m, 1, 1 << 20);
	free(m);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(99);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	/* a child with a garbage clear_child_tid exits normally */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		syscall(SYS_set_tid_address, KERNEL);
		_exit(8);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 8);
	/* a child with a garbage robust list exits normally */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		syscall(SYS_set_robust_list, KERNEL, 24);
		_exit(9);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
}

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	CHECK_EQ(pg, 4096);
	/* [rw page][hole][read-only page][hole], far below where mmap puts
	 * things, so that no later mapping fills the holes. */
	char *m = mmap((void *)0x200000000000UL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	memset(m, 'r', 4 * pg);
	CHECK(munmap(m + pg, pg) == 0);
	CHECK(munmap(m + 3 * pg, pg) == 0);
	CHECK(mprotect(m + 2 * pg, pg, PROT_READ) == 0);
	edge = m + pg - 1;
	unmapped = m + pg;
	rdonly = m + 2 * pg;

	static char path[] = "/tmp/cocoon-hostile-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	file = path;
	write_all(fd, "0123456789", 10);
	CHECK(close(fd) == 0);

	int fails = 0;
	fails += run_group("io", io, 30);
	fails += run_group("paths", paths, 30);
	fails += run_group("dirents", dirents, 30);
	fails += run_group("exec-args", exec_args, 30);
	fails += run_group("pipes-and-wait", pipes_and_wait, 30);
	fails += run_group("signals", signals, 30);
	fails += run_group("misc", misc, 30);
	fails += run_group("memory", memory, 30);
	fails += run_group("fds", fds, 30);
	CHECK(unlink(path) == 0);
	still_fine();
	PASS("still-fine");
	return fails != 0;
}
