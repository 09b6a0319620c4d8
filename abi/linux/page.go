package linux

// Page geometry of x86-64 Linux.
const (
	// PageShift is log2(PageSize).
	PageShift = 12
	// PageSize is the size of a base page.
	PageSize = 1 << PageShift
)
