package mm

import "unsafe"

// wordAt returns the 32-bit word at the start of b, a piece of the
// sentry's mapping of the memory file, for sync/atomic. Safe: b has at
// least 4 bytes (callers pass the 4-byte piece copyLocked hands them), the
// word is 4-byte aligned (the application address is, and memory-file
// frames are page aligned), and the mapping lives as long as the memory
// file, which outlives every manager.
func wordAt(b []byte) *uint32 {
	_ = b[3]
	return (*uint32)(unsafe.Pointer(&b[0]))
}
