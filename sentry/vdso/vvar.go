package vdso

import "math/bits"

// Data page layout: image/vvar.h's struct vvar_data, as word indexes.
const (
	wordSeq = iota
	wordMode
	wordTSCBase
	wordMult
	wordMonoBase
	wordRealOffset
	wordCPUMode
	vvarWords
)

// Modes (VVAR_MODE_*).
const (
	modeSyscall = 0
	modeTSC     = 1
)

// CPU modes (VVAR_CPU_*).
const (
	cpuSyscall = 0
	cpuHost    = 1
)

// multShift is VVAR_MULT_SHIFT: mult is ns per cycle times 2^multShift.
const multShift = 32

// servedClocks is VVAR_SERVED_CLOCKS: the clock ids the vDSO answers
// itself (REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE,
// MONOTONIC_COARSE, BOOTTIME).
const servedClocks = 0xf3

// line is the clock a data page describes: CLOCK_MONOTONIC, in
// nanoseconds since the kernel booted, is monoBase at TSC tscBase and
// advances by mult/2^32 ns per cycle; CLOCK_REALTIME is that plus
// realOffset.
type line struct {
	tscBase, mult uint64
	monoBase      int64
	realOffset    int64
}

// at returns CLOCK_MONOTONIC at tsc exactly as vdso.c's read_ns computes
// it: a TSC behind tscBase (another CPU's, slightly behind the writer's)
// counts as tscBase, and the 128-bit product never overflows.
func (l *line) at(tsc uint64) int64 {
	d := int64(tsc - l.tscBase)
	if d < 0 {
		d = 0
	}
	hi, lo := bits.Mul64(uint64(d), l.mult)
	return l.monoBase + int64(hi<<(64-multShift)|lo>>multShift)
}
