/* The layout of the vDSO data page, shared by vdso.c and, by hand, by
 * sentry/vdso/params.go (TestLayoutMatchesHeader compares them). Every
 * field is a little-endian 64-bit word written by the sentry under the
 * sequence count "seq" (odd while a write is in progress). */
#ifndef VVAR_H
#define VVAR_H

#include <stdint.h>

/* mode: how the clocks are read. */
#define VVAR_MODE_SYSCALL 0 /* make the system call */
#define VVAR_MODE_TSC 1     /* compute from the TSC */

/* mult is nanoseconds per TSC cycle, scaled by 2^VVAR_MULT_SHIFT. */
#define VVAR_MULT_SHIFT 32

/* cpu_mode: how getcpu answers. */
#define VVAR_CPU_SYSCALL 0 /* make the system call */
#define VVAR_CPU_HOST 1    /* the host's CPU number (LSL of its CPUNODE
			    * segment): the sentry pins each thread into its
			    * affinity and numbers CPUs as the host does */

#define VVAR_CLOCK_REALTIME 0
#define VVAR_CLOCK_REALTIME_COARSE 5

/* The clocks the data page serves: REALTIME (0), MONOTONIC (1),
 * MONOTONIC_RAW (4), REALTIME_COARSE (5), MONOTONIC_COARSE (6) and
 * BOOTTIME (7). */
#define VVAR_SERVED_CLOCKS 0xf3

struct vvar_data {
	volatile uint64_t seq;         /* offset 0 */
	volatile uint64_t mode;        /* 8 */
	volatile uint64_t tsc_base;    /* 16: TSC at which mono_base held */
	volatile uint64_t mult;        /* 24 */
	volatile uint64_t mono_base;   /* 32: CLOCK_MONOTONIC ns at tsc_base */
	volatile uint64_t real_offset; /* 40: CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	volatile uint64_t cpu_mode;    /* 48: VVAR_CPU_*, set once */
};

#endif
