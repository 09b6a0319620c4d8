package platformtest

import (
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// memFileSize is the size of a test memory file: sparse, and mapped with
// MAP_NORESERVE, so only the pages a test touches take memory.
const memFileSize = 64 << 20

// MemoryFile is a memory file for platform tests: a memfd mapped into the
// test process, handing out pages from a bump allocator. Platforms take
// the sandbox's memory file as an FD, so their tests need nothing of the
// sentry's allocator (sentry/pgalloc).
//
// Locking: mu guards next; Slice needs no lock.
type MemoryFile struct {
	fd      int
	mapping []byte

	mu   sync.Mutex
	next uint64
}

// NewMemoryFile creates a memory file that t's cleanup releases.
func NewMemoryFile(t testing.TB) *MemoryFile {
	t.Helper()
	fd, err := unix.MemfdCreate("platformtest", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatalf("creating memory file: %v", err)
	}
	if err := unix.Ftruncate(fd, memFileSize); err != nil {
		unix.Close(fd)
		t.Fatalf("sizing memory file: %v", err)
	}
	m, err := unix.Mmap(fd, 0, memFileSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("mapping memory file: %v", err)
	}
	f := &MemoryFile{fd: fd, mapping: m}
	t.Cleanup(func() {
		unix.Munmap(f.mapping)
		unix.Close(f.fd)
	})
	return f
}

// FD returns the memory file's host file descriptor.
func (f *MemoryFile) FD() int { return f.fd }

// Page returns the offset of a fresh page holding content (zero-padded).
func (f *MemoryFile) Page(t testing.TB, content []byte) uint64 {
	t.Helper()
	f.mu.Lock()
	off := f.next
	f.next += linux.PageSize
	f.mu.Unlock()
	if off+linux.PageSize > memFileSize || len(content) > linux.PageSize {
		t.Fatalf("test memory file: no room for a page of %d bytes at %#x", len(content), off)
	}
	copy(f.mapping[off:off+linux.PageSize], content)
	return off
}

// Slice returns the memory file's bytes [off, off+length) through the test
// process's mapping.
func (f *MemoryFile) Slice(off, length uint64) []byte {
	return f.mapping[off : off+length]
}
