package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// DefaultFDLimit is the number of descriptors a table holds unless SetLimit
// says otherwise (Linux's usual RLIMIT_NOFILE hard limit for containers is
// higher, but programs that loop to the limit closing FDs make a huge limit
// slow).
const DefaultFDLimit = 1 << 16

// FDFlagCloexec is FD_CLOEXEC, the only per-descriptor flag.
const FDFlagCloexec = unix.FD_CLOEXEC

type fdEntry struct {
	file    *FileDescription
	cloexec bool
}

// FDTable maps file descriptor numbers to file descriptions; analogous to
// Linux's struct files_struct. Tasks that share it (CLONE_FILES) share the
// pointer and take references with IncRef.
type FDTable struct {
	refs atomic.Int64

	mu sync.Mutex
	// entries is indexed by FD; a nil file is a free slot. Guarded by mu.
	entries []fdEntry
	// next is a hint: no free slot is below it. Guarded by mu.
	next int32
	// limit is the maximum FD number plus one. Guarded by mu.
	limit int32

	// owner is the process (TGID) whose POSIX record locks closing a
	// descriptor releases, or 0 for none; set by the kernel (SetOwner).
	owner atomic.Int32
}

// NewFDTable returns an empty table holding one reference.
func NewFDTable() *FDTable {
	t := &FDTable{limit: DefaultFDLimit}
	t.refs.Store(1)
	return t
}

// IncRef takes a reference for one more sharer (CLONE_FILES).
func (t *FDTable) IncRef() { t.refs.Add(1) }

// DecRef drops a reference; the last one closes every descriptor.
func (t *FDTable) DecRef() {
	if t.refs.Add(-1) == 0 {
		t.CloseAll()
	}
}

// SetOwner sets the process whose POSIX record locks on a file are
// released when it closes any descriptor of that file (Linux's
// locks_remove_posix() with the files_struct as owner). Tables made by
// Fork have no owner until set.
func (t *FDTable) SetOwner(pid int32) { t.owner.Store(pid) }

// closeFile drops the table's reference on f after releasing the owner's
// record locks on its file.
func (t *FDTable) closeFile(f *FileDescription) {
	if pid := t.owner.Load(); pid != 0 {
		ReleasePOSIXLocks(f, pid)
	}
	f.DecRef()
}

// SetLimit sets the maximum FD number plus one (RLIMIT_NOFILE). Existing
// descriptors above it stay.
func (t *FDTable) SetLimit(n int32) {
	if n < 0 {
		n = 0
	}
	t.mu.Lock()
	t.limit = n
	t.mu.Unlock()
}

// Limit returns the current limit.
func (t *FDTable) Limit() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// Fork returns a copy of the table (fork without CLONE_FILES): the same
// descriptions, each with one more reference, and the same flags.
func (t *FDTable) Fork() *FDTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &FDTable{limit: t.limit, next: t.next, entries: make([]fdEntry, len(t.entries))}
	c.refs.Store(1)
	for i, e := range t.entries {
		if e.file != nil {
			e.file.IncRef()
			c.entries[i] = e
		}
	}
	return c
}

// Get returns the description at fd with a new reference that the caller
// must drop with DecRef (so that a concurrent close cannot release it
// mid-use), or EBADF.
func (t *FDTable) Get(fd int32) (*FileDescription, error) {
	t.mu.Lock()
	if fd < 0 || int(fd) >= len(t.entries) || t.entries[fd].file == nil {
		t.mu.Unlock()
		return nil, unix.EBADF
	}
	f := t.entries[fd].file
	f.IncRef()
	t.mu.Unlock()
	return f, nil
}

// NewFD installs file at the lowest free descriptor >= minFD and returns
// it; EMFILE past the limit, EINVAL for a negative minFD. The table takes
// its own reference on file; the caller keeps its own.
func (t *FDTable) NewFD(file *FileDescription, minFD int32, cloexec bool) (int32, error) {
	if minFD < 0 {
		return -1, unix.EINVAL
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fd := minFD
	if fd < t.next {
		fd = t.next
	}
	for int(fd) < len(t.entries) && t.entries[fd].file != nil {
		fd++
	}
	if fd >= t.limit {
		return -1, unix.EMFILE
	}
	t.growLocked(fd)
	file.IncRef()
	t.entries[fd] = fdEntry{file: file, cloexec: cloexec}
	if minFD <= t.next {
		t.next = fd + 1
	}
	return fd, nil
}

// growLocked makes entries long enough to hold fd.
func (t *FDTable) growLocked(fd int32) {
	if int(fd) < len(t.entries) {
		return
	}
	n := 2 * len(t.entries)
	if n < 16 {
		n = 16
	}
	for n <= int(fd) {
		n *= 2
	}
	if n > int(t.limit) && int(fd) < int(t.limit) {
		n = int(t.limit)
	}
	ne := make([]fdEntry, n)
	copy(ne, t.entries)
	t.entries = ne
}

// SetFD installs file at n, closing what was there (dup2 semantics); EBADF
// when n is negative or not below the limit. The table takes its own
// reference on file.
func (t *FDTable) SetFD(n int32, file *FileDescription, cloexec bool) error {
	t.mu.Lock()
	if n < 0 || n >= t.limit {
		t.mu.Unlock()
		return unix.EBADF
	}
	t.growLocked(n)
	old := t.entries[n].file
	file.IncRef()
	t.entries[n] = fdEntry{file: file, cloexec: cloexec}
	t.mu.Unlock()
	if old != nil {
		t.closeFile(old)
	}
	return nil
}

// Remove closes descriptor n (EBADF if it is not open).
func (t *FDTable) Remove(n int32) error {
	f, err := t.take(n)
	if err != nil {
		return err
	}
	t.closeFile(f)
	return nil
}

// take removes n from the table and returns its description with the
// table's reference.
func (t *FDTable) take(n int32) (*FileDescription, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n < 0 || int(n) >= len(t.entries) || t.entries[n].file == nil {
		return nil, unix.EBADF
	}
	f := t.entries[n].file
	t.entries[n] = fdEntry{}
	if n < t.next {
		t.next = n
	}
	return f, nil
}

// GetFlags returns the descriptor flags of fd (FDFlagCloexec) or EBADF.
func (t *FDTable) GetFlags(fd int32) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.entries) || t.entries[fd].file == nil {
		return 0, unix.EBADF
	}
	if t.entries[fd].cloexec {
		return FDFlagCloexec, nil
	}
	return 0, nil
}

// SetFlags sets the descriptor flags of fd (only FDFlagCloexec matters).
func (t *FDTable) SetFlags(fd int32, flags int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.entries) || t.entries[fd].file == nil {
		return unix.EBADF
	}
	t.entries[fd].cloexec = flags&FDFlagCloexec != 0
	return nil
}

// CloseOnExec closes every descriptor marked close-on-exec (execve).
func (t *FDTable) CloseOnExec() {
	var closing []*FileDescription
	t.mu.Lock()
	for i := range t.entries {
		if e := t.entries[i]; e.file != nil && e.cloexec {
			closing = append(closing, e.file)
			t.entries[i] = fdEntry{}
			if int32(i) < t.next {
				t.next = int32(i)
			}
		}
	}
	t.mu.Unlock()
	for _, f := range closing {
		t.closeFile(f)
	}
}

// CloseAll closes every descriptor (exit).
func (t *FDTable) CloseAll() {
	t.mu.Lock()
	entries := t.entries
	t.entries = nil
	t.next = 0
	t.mu.Unlock()
	for _, e := range entries {
		if e.file != nil {
			t.closeFile(e.file)
		}
	}
}

// ForEach calls fn for each open descriptor in increasing order, with the
// table locked: fn must not call back into the table.
func (t *FDTable) ForEach(fn func(fd int32, file *FileDescription, cloexec bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, e := range t.entries {
		if e.file != nil {
			fn(int32(i), e.file, e.cloexec)
		}
	}
}
