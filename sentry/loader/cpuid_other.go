//go:build !amd64

package loader

// hwcap returns 0 where CPUID is not available.
func hwcap() uint32 { return 0 }
