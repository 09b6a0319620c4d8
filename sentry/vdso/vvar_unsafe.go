package vdso

import (
	"sync/atomic"
	"unsafe"
)

// wordsOf views the data page as its words. Safe: page is a page of the
// memory file's mapping (page aligned, so every word is 8-byte aligned),
// which lives until the memory file's Release, and Release unregisters
// the page (OnRelease) before unmapping it; only load and store touch it.
func wordsOf(page []byte) *[vvarWords]uint64 {
	if len(page) < vvarWords*8 {
		panic("vdso: data page too small")
	}
	return (*[vvarWords]uint64)(unsafe.Pointer(&page[0]))
}

// load reads word i of the data page atomically.
func (v *VDSO) load(i int) uint64 { return atomic.LoadUint64(&v.page[i]) }

// store writes word i of the data page atomically (on x86-64 an XCHG, a
// full barrier: the odd sequence count is visible before anything after).
func (v *VDSO) store(i int, x uint64) { atomic.StoreUint64(&v.page[i], x) }
