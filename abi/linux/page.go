package linux

// Page sizes on x86-64 (arch/x86/include/asm/page_types.h): the size of a
// page that mmap, mprotect and munmap work in, for the host and the
// application alike.
const (
	// PageShift is log2(PageSize).
	PageShift = 12
	// PageSize is the size of a base page.
	PageSize = 1 << PageShift
)
