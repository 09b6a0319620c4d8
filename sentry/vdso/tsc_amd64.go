package vdso

// rdtsc returns the time-stamp counter, read after an LFENCE.
func rdtsc() uint64

// cpuid executes CPUID with the given leaf (subleaf 0).
func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)

// invariantTSC says whether the TSC ticks at a constant rate in every
// power state (CPUID 0x80000007 EDX bit 8, "Invariant TSC"; Linux's
// constant_tsc and nonstop_tsc flags), the condition for computing clocks
// from it.
func invariantTSC() bool {
	if max, _, _, _ := cpuid(0x80000000); max < 0x80000007 {
		return false
	}
	_, _, _, edx := cpuid(0x80000007)
	return edx&(1<<8) != 0
}
