/* The sentry's vDSO: clock_gettime, gettimeofday, time, getcpu and
 * clock_getres computed in the application from the data page ("vvar")
 * that the sentry maps one page below this image and keeps up to date
 * (sentry/vdso/params.go has the writer and the same arithmetic in Go).
 *
 * Everything the data page does not serve (CPU-time clocks, unknown clock
 * ids, a host without an invariant TSC) makes the real system call, which
 * the sentry then serves, so results and errnos stay Linux's.
 *
 * Built by mkimage.sh; no libc, no relocations, no writable data. */
#include <stdint.h>

#include "vvar.h"

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229
#define NR_getcpu 309

struct vdso_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct vdso_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct vdso_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

/* Defined by the linker script one page below the image. */
extern const struct vvar_data vvar_page __attribute__((visibility("hidden")));

static inline long syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t load64(const volatile uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* rdtsc after lfence: the read is not hoisted above earlier loads (the
 * sequence count), as Linux's rdtsc_ordered. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* read_ns sets *ns to the clock's nanoseconds and returns 1, or returns 0
 * when the data page says the system call must answer. */
static inline int read_ns(int realtime, int64_t *ns)
{
	const struct vvar_data *v = &vvar_page;
	for (;;) {
		uint64_t seq = load64(&v->seq);
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		if (load64(&v->mode) != VVAR_MODE_TSC)
			return 0;
		int64_t delta = (int64_t)(rdtsc_ordered() - load64(&v->tsc_base));
		if (delta < 0)
			delta = 0; /* a CPU whose TSC lags the writer's */
		uint64_t scaled = (uint64_t)(((unsigned __int128)(uint64_t)delta * load64(&v->mult)) >> VVAR_MULT_SHIFT);
		int64_t t = (int64_t)load64(&v->mono_base) + (int64_t)scaled;
		if (realtime)
			t += (int64_t)load64(&v->real_offset);
		if (load64(&v->seq) == seq) {
			*ns = t;
			return 1;
		}
	}
}

static inline int served(int clk)
{
	return clk >= 0 && clk < 32 && ((VVAR_SERVED_CLOCKS >> clk) & 1);
}

static inline int is_realtime(int clk)
{
	return clk == VVAR_CLOCK_REALTIME || clk == VVAR_CLOCK_REALTIME_COARSE;
}

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts)
{
	int64_t ns;
	if (!served(clk) || !read_ns(is_realtime(clk), &ns))
		return syscall2(NR_clock_gettime, clk, (long)ts);
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	int64_t ns;
	if (!read_ns(1, &ns))
		return syscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = ns / 1000000000;
		tv->tv_usec = ns % 1000000000 / 1000;
	}
	if (tz) {
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t ns;
	if (!read_ns(1, &ns))
		return syscall2(NR_time, (long)t, 0);
	int64_t s = ns / 1000000000;
	if (t)
		*t = s;
	return s;
}

/* getcpu: the CPU the calling thread runs on. The sentry pins every
 * thread to a CPU of its affinity and, when its CPU numbers are the
 * host's (cpu_mode), the host's per-CPU segment limit says which one, as
 * Linux's own vDSO reads it; otherwise the real system call. Node 0, as
 * the sentry's getcpu(2) answers. */
#define CPUNODE_SEG 0x7b /* GDT_ENTRY_CPUNODE * 8 + 3 */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	if (vvar_page.cpu_mode == VVAR_CPU_HOST) {
		unsigned p;
		unsigned char ok;
		__asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(p), "=q"(ok) : "r"(CPUNODE_SEG));
		if (ok) {
			if (cpu)
				*cpu = p & 0xfff;
			if (node)
				*node = 0;
			return 0;
		}
	}
	return syscall2(NR_getcpu, (long)cpu, (long)node);
}

/* The sentry's clock_getres(2) answers 1 ns for every clock it serves. */
int __vdso_clock_getres(int clk, struct vdso_timespec *res)
{
	if (!served(clk))
		return syscall2(NR_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

int clock_gettime(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vdso_timeval *, struct vdso_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
