//go:build !amd64

package vdso

func rdtsc() uint64 { return 0 }

// invariantTSC is false: the image is x86-64 code.
func invariantTSC() bool { return false }
