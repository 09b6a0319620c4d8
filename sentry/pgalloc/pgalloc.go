// Package pgalloc owns the memory file: the one host memfd that backs every
// anonymous and page-cache page of a sandbox. The sentry maps the whole file
// into itself once, so it reads and writes application memory through that
// mapping; platforms map ranges of the same file into application address
// spaces.
//
// Locking: MemoryFile.mu guards the allocator state. Slice needs no lock.
package pgalloc

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// maxFileSize is the size of the memory file's reservation in the sentry's
// address space. The file is sparse: only pages in use take memory.
const maxFileSize = 64 << 30

// MemoryFile is the sandbox's memory file.
type MemoryFile struct {
	fd      int
	mapping []byte

	mu sync.Mutex
	// next is the end of the highest allocation ever made.
	next uint64
	// free holds released page runs by length in pages, reused first.
	free map[uint64][]uint64
	// used counts allocated bytes.
	used uint64
	// onRelease are run by Release before the file goes away.
	onRelease []func()
}

// New creates the memory file.
func New(name string) (*MemoryFile, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating memory file: %w", err)
	}
	if err := unix.Ftruncate(fd, maxFileSize); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sizing memory file: %w", err)
	}
	m, err := unix.Mmap(fd, 0, maxFileSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mapping memory file: %w", err)
	}
	return &MemoryFile{fd: fd, mapping: m, free: make(map[uint64][]uint64)}, nil
}

// FD returns the host file descriptor of the memory file.
func (f *MemoryFile) FD() int { return f.fd }

// Allocate returns the offset of length bytes (a multiple of linux.PageSize) of
// contiguous zeroed memory.
func (f *MemoryFile) Allocate(length uint64) (uint64, error) {
	if length == 0 || length%linux.PageSize != 0 {
		return 0, fmt.Errorf("bad allocation length %d", length)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	pages := length / linux.PageSize
	if runs := f.free[pages]; len(runs) > 0 {
		off := runs[len(runs)-1]
		f.free[pages] = runs[:len(runs)-1]
		f.used += length
		return off, nil
	}
	if f.next+length > maxFileSize {
		return 0, unix.ENOMEM
	}
	off := f.next
	f.next += length
	f.used += length
	return off, nil
}

// Free releases memory returned by Allocate. The pages are zeroed (their
// backing is punched out of the file) so they come back clean.
func (f *MemoryFile) Free(off, length uint64) {
	if length == 0 {
		return
	}
	// Best effort: if punching fails the pages are zeroed by hand.
	if err := unix.Fallocate(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(off), int64(length)); err != nil {
		clear(f.mapping[off : off+length])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	pages := length / linux.PageSize
	f.free[pages] = append(f.free[pages], off)
	f.used -= length
}

// Slice returns the sentry's view of [off, off+length) of the file.
func (f *MemoryFile) Slice(off, length uint64) []byte {
	return f.mapping[off : off+length : off+length]
}

// Used returns the number of bytes currently allocated.
func (f *MemoryFile) Used() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}

// OnRelease registers fn to run at the start of Release, before the
// mapping goes away: for users that write to the file from their own
// goroutines (the vDSO data page's updater).
func (f *MemoryFile) OnRelease(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onRelease = append(f.onRelease, fn)
}

// Release unmaps and closes the file.
func (f *MemoryFile) Release() {
	f.mu.Lock()
	fns := f.onRelease
	f.onRelease = nil
	f.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	unix.Munmap(f.mapping)
	unix.Close(f.fd)
}

// Frame is one page of the memory file with a count of its holders: the
// address spaces whose pages it backs (sentry/mm) and the tmpfs file whose
// page it holds while that page is mapped shared. The holder that drops
// the last reference frees the page (Free).
type Frame struct {
	// Off is the page's offset in the memory file. Immutable.
	Off uint64
	// Refs counts the holders.
	Refs atomic.Int32
}

// NewFrame returns the frame of the page at off, with one reference.
func NewFrame(off uint64) *Frame {
	fr := &Frame{Off: off}
	fr.Refs.Store(1)
	return fr
}

// DecRef drops one reference to fr and frees its page if it was the last.
func (f *MemoryFile) DecRef(fr *Frame) {
	if fr.Refs.Add(-1) == 0 {
		f.Free(fr.Off, linux.PageSize)
	}
}

// FrameSource is a file whose pages can live in frames it keeps (a tmpfs
// file): a MAP_SHARED mapping of it maps those frames, so that stores
// through the mapping are the file's content and the file's writes show
// through the mapping.
type FrameSource interface {
	// SharedFrames fills frames with the frames of the file's pages
	// from off (page-aligned) on, making them from the file's data as
	// needed, one reference each for the caller, and remembers mapper
	// as one that maps them. A page wholly past the end of the file is
	// an error (Linux raises SIGBUS there), and then no reference is
	// taken.
	SharedFrames(mf *MemoryFile, off uint64, frames []*Frame, mapper FrameMapper) error
	// FrameOwner identifies the file (the same for every open of it).
	FrameOwner() any
	// ForgetMapper drops mapper from the file's mappers.
	ForgetMapper(mapper FrameMapper)
}

// FrameMapper is an address space that maps a FrameSource's frames. When
// the file drops frames (a truncation) it calls InvalidateFrames, holding
// none of its own locks, so that the mapper stops mapping them: the next
// access faults and finds the page gone.
type FrameMapper interface {
	// InvalidateFrames drops the mapper's pages of the file owner at
	// file offsets from on.
	InvalidateFrames(owner any, from uint64)
}
