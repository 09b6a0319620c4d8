/* vdso: the vDSO named by AT_SYSINFO_EHDR is a valid x86-64 ELF with
 * __vdso_clock_gettime, _gettimeofday, _time, _getcpu and _clock_getres
 * of version LINUX_2.6; /proc/self/maps names it [vdso] beside a [vvar];
 * each clock it serves never goes back when its calls are interleaved
 * with the system call; realtime agrees with gettimeofday and time; the
 * clocks it does not serve still answer, a bad clock is EINVAL; a loop
 * of vDSO calls runs far faster than the same number of system calls
 * (it does not trap); a forked child keeps the vDSO and an exec'd image
 * gets a fresh one; and the legacy vsyscall page works where the host
 * kernel has one. */
#include "test.h"

#include <elf.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static const Elf64_Ehdr *ehdr;
static uintptr_t bias; /* load address minus the image's link address */
static const Elf64_Sym *symtab;
static const char *strtab;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;
static unsigned long nsyms;

static void parse_vdso(void)
{
	ehdr = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	CHECK(ehdr != NULL);
	CHECK(memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK(ehdr->e_ident[EI_CLASS] == ELFCLASS64);
	CHECK(ehdr->e_ident[EI_DATA] == ELFDATA2LSB);
	CHECK(ehdr->e_type == ET_DYN);
	CHECK(ehdr->e_machine == EM_X86_64);
	CHECK(ehdr->e_phentsize == sizeof(Elf64_Phdr));
	const Elf64_Phdr *ph = (const Elf64_Phdr *)((const char *)ehdr + ehdr->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int loads = 0, notes = 0;
	for (int i = 0; i < ehdr->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && loads++ == 0)
			bias = (uintptr_t)ehdr + ph[i].p_offset - ph[i].p_vaddr;
		if (ph[i].p_type == PT_NOTE)
			notes++;
	}
	CHECK(loads >= 1);
	CHECK(notes >= 1);
	for (int i = 0; i < ehdr->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(bias + ph[i].p_vaddr);
	CHECK(dyn != NULL);
	const Elf32_Word *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = bias + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const Elf64_Sym *)p; break;
		case DT_STRTAB: strtab = (const char *)p; break;
		case DT_HASH: hash = (const Elf32_Word *)p; break;
		case DT_VERSYM: versym = (const Elf64_Half *)p; break;
		case DT_VERDEF: verdef = (const Elf64_Verdef *)p; break;
		}
	}
	CHECK(symtab && strtab && hash && versym && verdef);
	nsyms = hash[1]; /* nchain: the number of symbols */
	PASS("elf");
}

/* version_of returns the name of the version with index ndx. */
static const char *version_of(Elf64_Half ndx)
{
	const Elf64_Verdef *d = verdef;
	for (;;) {
		if ((d->vd_ndx & 0x7fff) == (ndx & 0x7fff) && !(d->vd_flags & VER_FLG_BASE)) {
			const Elf64_Verdaux *a = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
			return strtab + a->vda_name;
		}
		if (d->vd_next == 0)
			return NULL;
		d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
	}
}

/* lookup returns the address of a defined function name@LINUX_2.6. */
static void *lookup(const char *name)
{
	for (unsigned long i = 1; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		if (strcmp(strtab + s->st_name, name) != 0)
			continue;
		const char *v = version_of(versym[i]);
		if (v && strcmp(v, "LINUX_2.6") == 0)
			return (void *)(bias + s->st_value);
	}
	return NULL;
}

static clock_gettime_fn vclock_gettime, vclock_getres;
static gettimeofday_fn vgettimeofday;
static time_fn vtime;
static getcpu_fn vgetcpu;

static void find_symbols(void)
{
	CHECK((vclock_gettime = (clock_gettime_fn)lookup("__vdso_clock_gettime")) != NULL);
	CHECK((vclock_getres = (clock_gettime_fn)lookup("__vdso_clock_getres")) != NULL);
	CHECK((vgettimeofday = (gettimeofday_fn)lookup("__vdso_gettimeofday")) != NULL);
	CHECK((vtime = (time_fn)lookup("__vdso_time")) != NULL);
	CHECK((vgetcpu = (getcpu_fn)lookup("__vdso_getcpu")) != NULL);
	PASS("symbols");
}

/* map_line returns whether /proc/self/maps has a line ending in name,
 * copying it to line. */
static int map_line(const char *name, char *line, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f != NULL);
	int found = 0;
	while (fgets(line, len, f)) {
		size_t n = strlen(line), m = strlen(name);
		if (n > m && line[n - 1] == '\n' && strncmp(line + n - 1 - m, name, m) == 0 && line[n - 2 - m] == ' ') {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static void check_maps(void)
{
	char line[512];
	unsigned long start, end;
	char perms[5];
	CHECK(map_line("[vdso]", line, sizeof line));
	CHECK(sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3);
	CHECK(start == (unsigned long)ehdr);
	CHECK(strcmp(perms, "r-xp") == 0);
	CHECK(map_line("[vvar]", line, sizeof line));
	CHECK(sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3);
	CHECK(perms[0] == 'r' && perms[1] == '-');
	CHECK(end <= (unsigned long)ehdr); /* below the image */
	PASS("maps");
}

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void check_clocks(void)
{
	static const clockid_t clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
		CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
	};
	for (size_t c = 0; c < sizeof clocks / sizeof clocks[0]; c++) {
		struct timespec a, b;
		CHECK(vclock_gettime(clocks[c], &a) == 0);
		for (int i = 0; i < 2000; i++) {
			if (i % 2)
				CHECK(syscall(SYS_clock_gettime, clocks[c], &b) == 0);
			else
				CHECK(vclock_gettime(clocks[c], &b) == 0);
			CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
			if (ns(b) < ns(a)) {
				fprintf(stderr, "clock %d went back by %lld ns at call %d\n", clocks[c], ns(a) - ns(b), i);
				CHECK(ns(b) >= ns(a));
			}
			a = b;
		}
	}
	PASS("never back");

	struct timespec rt;
	struct timeval tv;
	struct timezone tz = {1, 1};
	CHECK(vclock_gettime(CLOCK_REALTIME, &rt) == 0);
	CHECK(vgettimeofday(&tv, &tz) == 0);
	time_t t1 = vtime(NULL), t2;
	CHECK(vtime(&t2) >= t1);
	CHECK(t2 >= t1 && t2 - t1 <= 1);
	long long tvns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	CHECK(tvns >= ns(rt) - 1000 && tvns - ns(rt) < 1000000000LL);
	CHECK(t1 + 1 >= rt.tv_sec && t1 - rt.tv_sec <= 1);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(rt.tv_sec > 1577836800); /* 2020-01-01 */
	CHECK(vgettimeofday(NULL, NULL) == 0);
	/* the libc wrappers, which use the vDSO too */
	struct timeval tv2;
	CHECK(gettimeofday(&tv2, NULL) == 0);
	CHECK(tv2.tv_sec >= tv.tv_sec && tv2.tv_sec - tv.tv_sec < 10);
	PASS("realtime");

	/* Clocks the vDSO may not serve itself still answer. */
	struct timespec cpu;
	CHECK(vclock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0);
	CHECK(cpu.tv_nsec >= 0 && cpu.tv_nsec < 1000000000L);
	CHECK(vclock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0);
	CHECK(vclock_gettime(CLOCK_TAI, &cpu) == 0);
	CHECK(cpu.tv_sec >= rt.tv_sec);
	PASS("other clocks");

	/* The vDSO returns -errno, as the system call instruction does. */
	CHECK_EQ(vclock_gettime(12345, &cpu), -EINVAL);
	CHECK_EQ(vclock_gettime(-1000, &cpu), -EINVAL);
	CHECK_EQ(vclock_getres(12345, &cpu), -EINVAL);
	CHECK_ERRNO(clock_gettime(12345, &cpu), EINVAL);
	PASS("einval");

	struct timespec res;
	CHECK(vclock_getres(CLOCK_MONOTONIC, &res) == 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000);
	CHECK(vclock_getres(CLOCK_REALTIME, NULL) == 0);
	CHECK(vclock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
	struct timespec sres;
	CHECK(vclock_getres(CLOCK_MONOTONIC, &res) == 0);
	CHECK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &sres) == 0);
	CHECK(res.tv_sec == sres.tv_sec && res.tv_nsec == sres.tv_nsec);
	PASS("getres");

	unsigned vcpu = ~0u, vnode = ~0u;
	CHECK(vgetcpu(&vcpu, &vnode, NULL) == 0);
	CHECK(vcpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	CHECK(vnode < 1024);
	CHECK(vgetcpu(NULL, NULL, NULL) == 0);
	PASS("getcpu");
}

/* What loop_ns times. */
enum { TIME_SYSCALL, TIME_VDSO_CLOCK, TIME_VDSO_GETCPU };

/* loop_ns times n calls of the vDSO clock_gettime or getcpu, or of a
 * trapping system call. */
static long long loop_ns(int what, int n)
{
	struct timespec a, b, t;
	unsigned cpu;
	CHECK(vclock_gettime(CLOCK_MONOTONIC, &a) == 0);
	for (int i = 0; i < n; i++) {
		if (what == TIME_VDSO_CLOCK)
			vclock_gettime(CLOCK_MONOTONIC, &t);
		else if (what == TIME_VDSO_GETCPU)
			vgetcpu(&cpu, NULL, NULL);
		else
			syscall(SYS_getppid);
	}
	CHECK(vclock_gettime(CLOCK_MONOTONIC, &b) == 0);
	return ns(b) - ns(a);
}

static void check_no_trap(void)
{
	/* A vDSO call costs tens of ns; a system call a hundred or more
	 * natively, microseconds intercepted. Best of three. */
	long long v = -1, c = -1, s = -1;
	for (int r = 0; r < 3; r++) {
		long long x = loop_ns(TIME_VDSO_CLOCK, 100000), y = loop_ns(TIME_SYSCALL, 20000) * 5;
		long long z = loop_ns(TIME_VDSO_GETCPU, 100000);
		if (v < 0 || x < v)
			v = x;
		if (c < 0 || z < c)
			c = z;
		if (s < 0 || y < s)
			s = y;
	}
	/* A trapping vDSO call would cost as much as a system call; one
	 * that does not is well under it, even natively on a loaded
	 * machine (seen: 2.8x there, hundreds of times in the sandbox). */
	if (v * 3 >= s * 2 || c * 3 >= s * 2) {
		fprintf(stderr, "100000 vDSO clock_gettime calls took %lld ns, getcpu %lld ns, system calls %lld ns\n", v, c, s);
		CHECK(v * 3 < s * 2 && c * 3 < s * 2);
	}
	PASS("no trap");
}

/* The legacy vsyscall page, where the host kernel has one: entries at
 * 0xffffffffff600000 (gettimeofday), +0x400 (time), +0x800 (getcpu). */
static void check_vsyscall(void)
{
	char line[512];
	if (!map_line("[vsyscall]", line, sizeof line)) {
		PASS("vsyscall");
		return;
	}
	gettimeofday_fn vs_gettimeofday = (gettimeofday_fn)0xffffffffff600000UL;
	time_fn vs_time = (time_fn)0xffffffffff600400UL;
	getcpu_fn vs_getcpu = (getcpu_fn)0xffffffffff600800UL;
	struct timeval tv;
	struct timespec rt;
	CHECK(vs_gettimeofday(&tv, NULL) == 0);
	CHECK(vclock_gettime(CLOCK_REALTIME, &rt) == 0);
	CHECK(rt.tv_sec >= tv.tv_sec && rt.tv_sec - tv.tv_sec <= 1);
	time_t t = 0;
	time_t r = vs_time(&t);
	CHECK(r == t);
	/* time() reads the coarse clock, which may still be in the second
	 * before gettimeofday's. */
	CHECK(r + 1 >= tv.tv_sec && r - tv.tv_sec <= 2);
	unsigned cpu = ~0u;
	CHECK(vs_getcpu(&cpu, NULL, NULL) == 0);
	CHECK(cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	PASS("vsyscall");
}

/* check_fork_exec: a forked child reads the same clock (never behind its
 * parent's last reading); a re-executed image has its own vDSO. */
static void check_fork_exec(void)
{
	struct timespec before, after;
	CHECK(vclock_gettime(CLOCK_MONOTONIC, &before) == 0);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (vclock_gettime(CLOCK_MONOTONIC, &after) != 0 || ns(after) < ns(before))
			_exit(1);
		if (getauxval(AT_SYSINFO_EHDR) != (unsigned long)ehdr)
			_exit(2);
		execl("/proc/self/exe", "vdso", "exec-child", (char *)NULL);
		_exit(3);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	PASS("fork and exec");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		/* Quietly: the parent prints the verdict. */
		FILE *out = stdout;
		stdout = fopen("/dev/null", "w");
		parse_vdso();
		find_symbols();
		check_maps();
		struct timespec ts;
		CHECK(vclock_gettime(CLOCK_MONOTONIC, &ts) == 0);
		stdout = out;
		return 0;
	}
	parse_vdso();
	find_symbols();
	check_maps();
	check_clocks();
	check_no_trap();
	check_fork_exec();
	check_vsyscall();
	return 0;
}
