package vfs

import (
	"math"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// This file holds advisory file locks: flock(2) locks, which belong to an
// open file description, and fcntl(2) record locks, which belong to a
// process (POSIX locks) or to an open file description (OFD locks);
// analogous to Linux's fs/locks.c. Locks are kept per inode, in the
// InodeLocks of the Inode value a description was opened at (the dentry
// cache gives one Inode per file reached by one name; hard links reached
// by two names through a remote file system may not share locks), or in
// the description itself for files without one (pipes). Each file's locks
// have their own mutex; a file never locked has none to take. flock locks
// and record locks never conflict with each other, as on Linux's local
// file systems.

// LockType is the type of a lock: F_RDLCK, F_WRLCK or F_UNLCK.
type LockType int16

// Lock types, as in struct flock's l_type.
const (
	ReadLock  LockType = unix.F_RDLCK
	WriteLock LockType = unix.F_WRLCK
	Unlock    LockType = unix.F_UNLCK
)

// LockEOF is the end of a record lock that extends to the end of the file
// however it grows (l_len == 0).
const LockEOF = math.MaxInt64

// RecordLock is one record lock: a byte range [Start, End) of type Type.
type RecordLock struct {
	Type  LockType
	Start int64
	// End is exclusive; LockEOF for a lock to the end of the file.
	End int64
	// PID is the process holding a POSIX lock, or -1 for an OFD lock (as
	// F_GETLK reports it).
	PID int32

	// owner is the PID (int32) of a POSIX lock or the *FileDescription of
	// an OFD lock.
	owner any
}

// InodeLocks is the advisory lock state of one file, embedded in the file
// system's inode (Inode.Locks returns it). It stays empty, a nil pointer,
// until the file is first locked, so that closing a file nobody locked
// takes no lock at all.
type InodeLocks struct {
	// set is allocated by the first lock request and kept from then on.
	set atomic.Pointer[lockSet]
}

// Locks returns l; embedding an InodeLocks gives an Inode its Locks method.
func (l *InodeLocks) Locks() *InodeLocks { return l }

// get returns the lock set, nil if the file was never locked.
func (l *InodeLocks) get() *lockSet { return l.set.Load() }

// getOrCreate returns the lock set, allocating it on first use.
func (l *InodeLocks) getOrCreate() *lockSet {
	if s := l.set.Load(); s != nil {
		return s
	}
	l.set.CompareAndSwap(nil, &lockSet{})
	return l.set.Load()
}

// setFor returns the lock set a request works on: for a release (unlock),
// nil if the file was never locked, so that nothing is allocated;
// otherwise the set, allocated on first use.
func (l *InodeLocks) setFor(unlock bool) *lockSet {
	if unlock {
		return l.get()
	}
	return l.getOrCreate()
}

// lockSet holds the locks of one file.
type lockSet struct {
	// mu guards the fields below. A leaf: nothing is called under it.
	mu sync.Mutex
	// flocks maps each description holding a flock lock to whether it is
	// exclusive.
	flocks map[*FileDescription]bool
	// records are the record locks; one owner's ranges never overlap and
	// adjacent ranges of one type are merged.
	records []RecordLock
	// changed is closed, and replaced, when a lock is released or
	// downgraded, waking waiters; nil when nobody waits.
	changed chan struct{}
}

// wakeLocked wakes every waiter.
func (s *lockSet) wakeLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// waitLocked blocks the caller until the next release of a lock in s (or
// an interruption, ErrInterrupted), with s.mu dropped meanwhile.
// Preconditions: s.mu is held; it is held again on return.
func (s *lockSet) waitLocked(ctx Context) error {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	ch := s.changed
	s.mu.Unlock()
	err := ctx.Block(ch)
	s.mu.Lock()
	return err
}

// lockState returns the lock state of fd's file: its inode's, or, for
// files without one (pipes), the description's own.
func (fd *FileDescription) lockState() *InodeLocks {
	if i := fd.Inode(); i != nil {
		return i.Locks()
	}
	return &fd.locks
}

// Flock implements flock(2) on fd: op is LOCK_SH, LOCK_EX or LOCK_UN,
// optionally with LOCK_NB. As in Linux, converting a lock first releases
// the old one, so a failed conversion leaves none. A conflicting lock
// makes it wait through ctx.Block (ErrInterrupted), or fail with
// EWOULDBLOCK under LOCK_NB.
func Flock(ctx Context, fd *FileDescription, op int) error {
	nb := op&unix.LOCK_NB != 0
	op &^= unix.LOCK_NB
	if op != unix.LOCK_SH && op != unix.LOCK_EX && op != unix.LOCK_UN {
		return unix.EINVAL
	}
	excl := op == unix.LOCK_EX
	s := fd.lockState().setFor(op == unix.LOCK_UN)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.flocks[fd]; ok {
		if op != unix.LOCK_UN && cur == excl {
			return nil
		}
		delete(s.flocks, fd)
		s.wakeLocked()
	}
	if op == unix.LOCK_UN {
		return nil
	}
	for s.flockConflictLocked(fd, excl) {
		if nb {
			return unix.EWOULDBLOCK
		}
		if err := s.waitLocked(ctx); err != nil {
			return err
		}
	}
	if s.flocks == nil {
		s.flocks = make(map[*FileDescription]bool)
	}
	s.flocks[fd] = excl
	fd.hasLocks.Store(true)
	return nil
}

func (s *lockSet) flockConflictLocked(fd *FileDescription, excl bool) bool {
	for o, e := range s.flocks {
		if o != fd && (excl || e) {
			return true
		}
	}
	return false
}

// LockRange is a record lock request: the range [Start, End) (End may be
// LockEOF) and the type.
type LockRange struct {
	Type  LockType
	Start int64
	End   int64
}

// recordOwner returns the owner of fd's record locks for pid: the process,
// or the description itself for OFD locks (pid < 0).
func recordOwner(fd *FileDescription, pid int32) any {
	if pid < 0 {
		return fd
	}
	return pid
}

// SetRecordLock implements F_SETLK and F_SETLKW (pid is the process's
// TGID) and F_OFD_SETLK and F_OFD_SETLKW (pid is -1): it sets, changes or
// removes (Unlock) the caller's locks over r, splitting and merging
// ranges. A conflicting lock of another owner makes it fail with EAGAIN,
// or, if wait is set, wait through ctx.Block (ErrInterrupted). The caller
// checks the description's access mode.
func SetRecordLock(ctx Context, fd *FileDescription, pid int32, r LockRange, wait bool) error {
	if r.Start < 0 || r.End <= r.Start {
		return unix.EINVAL
	}
	owner := recordOwner(fd, pid)
	s := fd.lockState().setFor(r.Type == Unlock)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Type != Unlock {
		for {
			if _, ok := s.recordConflictLocked(owner, r); !ok {
				break
			}
			if !wait {
				return unix.EAGAIN
			}
			if err := s.waitLocked(ctx); err != nil {
				return err
			}
		}
	}
	s.setRangeLocked(owner, pid, r)
	s.wakeLocked()
	if pid < 0 && r.Type != Unlock {
		fd.hasLocks.Store(true)
	}
	return nil
}

// TestRecordLock implements F_GETLK and F_OFD_GETLK: it returns the first
// lock of another owner that conflicts with r, if any.
func TestRecordLock(fd *FileDescription, pid int32, r LockRange) (RecordLock, bool) {
	s := fd.lockState().get()
	if s == nil {
		return RecordLock{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recordConflictLocked(recordOwner(fd, pid), r)
}

func (s *lockSet) recordConflictLocked(owner any, r LockRange) (RecordLock, bool) {
	for _, l := range s.records {
		if l.owner == owner || l.End <= r.Start || l.Start >= r.End {
			continue
		}
		if l.Type == WriteLock || r.Type == WriteLock {
			return l, true
		}
	}
	return RecordLock{}, false
}

// setRangeLocked replaces owner's locks over r by r (none for Unlock),
// keeping the parts of old ranges outside r and merging r with adjacent
// ranges of the same type.
func (s *lockSet) setRangeLocked(owner any, pid int32, r LockRange) {
	var out []RecordLock
	for _, l := range s.records {
		if l.owner != owner || l.End <= r.Start || l.Start >= r.End {
			out = append(out, l)
			continue
		}
		if l.Start < r.Start {
			head := l
			head.End = r.Start
			out = append(out, head)
		}
		if l.End > r.End {
			tail := l
			tail.Start = r.End
			out = append(out, tail)
		}
	}
	if r.Type != Unlock {
		n := RecordLock{Type: r.Type, Start: r.Start, End: r.End, PID: pid, owner: owner}
		merged := out[:0]
		for _, l := range out {
			if l.owner == owner && l.Type == n.Type && l.End >= n.Start && l.Start <= n.End {
				n.Start, n.End = min(n.Start, l.Start), max(n.End, l.End)
				continue
			}
			merged = append(merged, l)
		}
		out = append(merged, n)
	}
	s.records = out
}

// ReleasePOSIXLocks drops the POSIX record locks that process pid holds on
// fd's file: Linux does so when the process closes any descriptor of the
// file (and so when it exits). The FD table calls it on every close; for a
// file never locked it only loads one pointer.
func ReleasePOSIXLocks(fd *FileDescription, pid int32) {
	s := fd.lockState().get()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(func(l *RecordLock) bool { return l.owner == any(pid) })
}

// releaseDescriptionLocks drops the flock and OFD locks of fd, on its last
// reference.
func releaseDescriptionLocks(fd *FileDescription) {
	s := fd.lockState().get()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.flocks[fd]; ok {
		delete(s.flocks, fd)
		s.wakeLocked()
	}
	s.releaseLocked(func(l *RecordLock) bool { return l.owner == any(fd) })
}

// releaseLocked drops the record locks that match and wakes waiters.
func (s *lockSet) releaseLocked(match func(*RecordLock) bool) {
	out := s.records[:0]
	for i := range s.records {
		if !match(&s.records[i]) {
			out = append(out, s.records[i])
		}
	}
	if len(out) != len(s.records) {
		clear(s.records[len(out):])
		s.records = out
		s.wakeLocked()
	}
}
