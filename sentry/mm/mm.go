// Package mm is the memory manager: the virtual memory areas (VMAs) of one
// application address space, the memory-file pages that back them, and the
// only way the sentry touches application memory (CopyIn, CopyOut, ZeroOut,
// all returning EFAULT rather than ever dereferencing an application
// pointer).
//
// Model. A MemoryManager holds a sorted slice of non-overlapping VMAs and a
// map from page address to the memory-file frame that backs it. Every
// populated page lives in the sandbox's memory file (pgalloc): anonymous
// pages start zeroed, private file pages are filled with Mappable.ReadAt when
// first touched. The platform address space only ever maps memory-file
// ranges; HandleFault decides what to map and with which permissions, and
// every operation that removes or changes access (munmap, mprotect,
// madvise(MADV_DONTNEED), mremap) unmaps the range from the platform first so
// a stale host mapping is never used. Invariant: a page present in the
// platform address space is mapped with exactly its VMA's permissions.
//
// Sharing. Frames are reference counted. MAP_SHARED anonymous pages keep the
// same frame in a parent and its forked children. Private pages are shared
// copy-on-write after Fork: a private page whose frame has more than one
// reference is never mapped writable, and the first write fault (a window
// of up to 16 pages at a time) or CopyOut on either side copies it. MAP_SHARED
// file mappings are treated as private copies in this version: writes do not
// reach the file and other mappers do not see them.
//
// Locking. MemoryManager.mu guards all of its state (VMAs, pages, brk,
// argv/env ranges) and is held across calls into the platform address space
// and into Mappable.ReadAt (which may block on the gofer). frame.refs is
// atomic because frames are shared between MemoryManagers. Lock order:
// MemoryManager.mu, then pgalloc.MemoryFile.mu (taken inside Allocate/Free),
// then whatever the platform and Mappable take internally. No method calls
// back into another MemoryManager while holding mu, except Fork, which locks
// the parent and builds the unpublished child.
package mm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// Layout constants, as Linux x86-64 uses them.
const (
	// mmapGap is the distance between the stack top and the mmap base
	// (Linux's MIN_GAP: 128 MiB, so the stack can grow to its rlimit).
	mmapGap = 128 << 20
	// DefaultStackLimit is the largest size a grows-down stack VMA reaches
	// by faulting (RLIMIT_STACK's usual 8 MiB).
	DefaultStackLimit = 8 << 20
	// guardGap is Linux's stack_guard_gap: a growing stack keeps this
	// distance from the mapping below it.
	guardGap = 256 * linux.PageSize
	// faultWindow is how many pages around a fault are populated and mapped
	// in one go (one platform MapFile per contiguous run).
	faultWindow = 16
)

// Mappable is an open file that can back a mapping. vfs.FileDescription
// satisfies it. A VMA holds one reference (IncRef) for as long as it exists.
type Mappable interface {
	ReadAt(p []byte, off int64) (int, error)
	IncRef()
	DecRef()
}

// frameSourcer is a Mappable that may keep its pages in frames (a
// vfs.FileDescription of a tmpfs file): FrameSource returns the source,
// or nil.
type frameSourcer interface {
	FrameSource() pgalloc.FrameSource
}

// MemoryManager is one application address space.
type MemoryManager struct {
	p  platform.Platform
	mf *pgalloc.MemoryFile
	as platform.AddressSpace

	// Address bounds, fixed at creation.
	minAddr, maxAddr uintptr
	stackTop         uintptr
	mmapBase         uintptr

	mu sync.Mutex
	// vmas are sorted by start and never overlap.
	vmas []vma
	// pages maps a page address to its backing frame. Only addresses inside
	// some VMA have entries.
	pages map[uintptr]*pageEntry
	// brkStart and brk delimit the heap ([heap] VMA is [brkStart, pageUp(brk))).
	brkStart, brk uintptr
	// stackLimit bounds grows-down growth; asLimit and dataLimit the
	// mappings (limits.go).
	stackLimit         uintptr
	asLimit, dataLimit uint64
	// lockFuture is mlockall(MCL_FUTURE): new mappings are locked, up to
	// lockLimit (mlock.go).
	lockFuture bool
	lockLimit  uint64
	// argv/env string ranges for /proc/pid/cmdline and environ.
	argvStart, argvEnd, envStart, envEnd uintptr
	// frameSources are the files whose frames the manager has mapped,
	// by FrameOwner: they call InvalidateFrames, and Release makes them
	// forget the manager.
	frameSources map[any]pgalloc.FrameSource
	// auxv is the auxiliary vector as the loader wrote it (pairs of
	// little-endian words, AT_NULL included), for /proc/pid/auxv.
	// Immutable once set.
	auxv     []byte
	released bool
	// users counts the tasks that share the manager (CLONE_VM): the
	// last Release frees it. Atomic.
	users atomic.Int32
}

// New creates an empty memory manager and its platform address space.
func New(p platform.Platform, mf *pgalloc.MemoryFile) (*MemoryManager, error) {
	as, err := p.NewAddressSpace()
	if err != nil {
		return nil, fmt.Errorf("creating address space: %w", err)
	}
	return newWithAS(p, mf, as), nil
}

func newWithAS(p platform.Platform, mf *pgalloc.MemoryFile, as platform.AddressSpace) *MemoryManager {
	minAddr := pageRoundUpOr(p.MinUserAddress(), 0)
	if minAddr < linux.PageSize {
		minAddr = linux.PageSize
	}
	maxAddr := p.MaxUserAddress() &^ (linux.PageSize - 1)
	top := maxAddr
	if top > linux.TaskSize {
		top = linux.TaskSize
	}
	base := minAddr
	if top-minAddr > 2*mmapGap {
		base = top - mmapGap
	}
	m := &MemoryManager{
		p:          p,
		mf:         mf,
		as:         as,
		minAddr:    minAddr,
		maxAddr:    maxAddr,
		stackTop:   top,
		mmapBase:   base,
		pages:      make(map[uintptr]*pageEntry),
		stackLimit: DefaultStackLimit,
		asLimit:    Unlimited,
		dataLimit:  Unlimited,
	}
	m.users.Store(1)
	return m
}

// IncUsers adds a user of the manager: a thread or process that shares
// it (clone with CLONE_VM), which calls Release when done with it.
func (m *MemoryManager) IncUsers() { m.users.Add(1) }

// Users returns how many tasks share the manager.
func (m *MemoryManager) Users() int32 { return m.users.Load() }

// AddressSpace returns the platform address space this manager drives.
func (m *MemoryManager) AddressSpace() platform.AddressSpace { return m.as }

// StackTop returns the address just above the initial stack.
func (m *MemoryManager) StackTop() uintptr { return m.stackTop }

// MMapBase returns the address below which mmap places mappings top-down.
func (m *MemoryManager) MMapBase() uintptr { return m.mmapBase }

// MinAddress and MaxAddress bound mappable addresses: [Min, Max).
func (m *MemoryManager) MinAddress() uintptr { return m.minAddr }

// MaxAddress returns the end of the mappable range.
func (m *MemoryManager) MaxAddress() uintptr { return m.maxAddr }

// SetArgvEnv records where the loader put the argv and envp strings.
func (m *MemoryManager) SetArgvEnv(argvStart, argvEnd, envStart, envEnd uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.argvStart, m.argvEnd, m.envStart, m.envEnd = argvStart, argvEnd, envStart, envEnd
}

// SetAuxv records the auxiliary vector the loader wrote.
func (m *MemoryManager) SetAuxv(auxv []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.auxv = auxv
}

// Auxv returns the auxiliary vector recorded by SetAuxv; the caller must
// not change it.
func (m *MemoryManager) Auxv() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.auxv
}

// ArgvEnv returns the ranges recorded by SetArgvEnv.
func (m *MemoryManager) ArgvEnv() (argvStart, argvEnd, envStart, envEnd uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.argvStart, m.argvEnd, m.envStart, m.envEnd
}

// Release drops a user; the last one frees every page, drops the file
// references of all VMAs and destroys the platform address space. The
// caller must not use the manager after.
func (m *MemoryManager) Release() {
	if m.users.Add(-1) > 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.released {
		return
	}
	m.released = true
	m.releaseAllPagesLocked()
	for _, src := range m.frameSources {
		src.ForgetMapper(m)
	}
	m.frameSources = nil
	for i := range m.vmas {
		m.vmas[i].dropFile()
	}
	m.vmas = nil
	m.as.Release()
}

// VirtualSize returns the total size of all VMAs.
func (m *MemoryManager) VirtualSize() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uint64
	for i := range m.vmas {
		n += uint64(m.vmas[i].end - m.vmas[i].start)
	}
	return n
}

// ResidentSize returns the size of the populated pages.
func (m *MemoryManager) ResidentSize() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.pages)) * linux.PageSize
}

// pageRoundUpOr rounds x up to a page boundary, returning def on overflow.
func pageRoundUpOr(x, def uintptr) uintptr {
	r, ok := pageRoundUp(x)
	if !ok {
		return def
	}
	return r
}

// pageRoundUp rounds x up to a page boundary; ok is false on overflow.
func pageRoundUp(x uintptr) (uintptr, bool) {
	r := (x + linux.PageSize - 1) &^ (linux.PageSize - 1)
	return r, r >= x
}

func pageDown(x uintptr) uintptr { return x &^ (linux.PageSize - 1) }

// inBounds says whether [addr, addr+length) is a valid application range.
func (m *MemoryManager) inBounds(addr, length uintptr) bool {
	end := addr + length
	return end >= addr && addr >= m.minAddr && end <= m.maxAddr
}

// subset says whether every permission in a is also in b.
func subset(a, b platform.AccessType) bool {
	return (!a.Read || b.Read) && (!a.Write || b.Write) && (!a.Execute || b.Execute)
}
