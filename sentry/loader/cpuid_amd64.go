package loader

// cpuid executes the CPUID instruction (cpuid_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// hwcap returns AT_HWCAP as Linux reports it on x86-64: CPUID leaf 1 EDX.
func hwcap() uint32 {
	_, _, _, edx := cpuid(1, 0)
	return edx
}
