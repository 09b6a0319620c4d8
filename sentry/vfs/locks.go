package vfs

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"
)

// This file holds advisory file locks: flock(2) locks, which belong to an
// open file description, and fcntl(2) record locks, which belong to a
// process (POSIX locks) or to an open file description (OFD locks);
// analogous to Linux's fs/locks.c. Locks are kept per inode: the Inode
// value a description was opened at (the dentry cache gives one Inode per
// file reached by one name; hard links reached by two names through a
// remote file system may not share locks), or the description itself for
// files without one (pipes). flock locks and record locks never conflict
// with each other, as on Linux's local file systems.

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

// fileLocks is the lock state of one file.
type fileLocks struct {
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

func (fl *fileLocks) empty() bool { return len(fl.flocks) == 0 && len(fl.records) == 0 }

// waitChanLocked returns the channel that the next release closes.
func (fl *fileLocks) waitChanLocked() <-chan struct{} {
	if fl.changed == nil {
		fl.changed = make(chan struct{})
	}
	return fl.changed
}

// wakeLocked wakes every waiter.
func (fl *fileLocks) wakeLocked() {
	if fl.changed != nil {
		close(fl.changed)
		fl.changed = nil
	}
}

// locksMu guards locks and every fileLocks in it. A leaf: nothing is
// called under it.
var locksMu sync.Mutex

// locks maps a file (see lockKey) to its locks; files without locks or
// waiters have no entry.
var locks = map[any]*fileLocks{}

// lockKey returns the identity locks on fd's file are kept under.
func lockKey(fd *FileDescription) any {
	if i := fd.Inode(); i != nil {
		return i
	}
	return fd
}

// getLocksLocked returns key's lock state, creating it if create is set.
func getLocksLocked(key any, create bool) *fileLocks {
	fl := locks[key]
	if fl == nil && create {
		fl = &fileLocks{}
		locks[key] = fl
	}
	return fl
}

// tidyLocked drops key's entry if no lock is left in it, waking its
// waiters (they look the entry up again).
func tidyLocked(key any) {
	if fl := locks[key]; fl != nil && fl.empty() {
		fl.wakeLocked()
		delete(locks, key)
	}
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
	key := lockKey(fd)
	excl := op == unix.LOCK_EX
	locksMu.Lock()
	defer locksMu.Unlock()
	defer tidyLocked(key)
	fl := getLocksLocked(key, op != unix.LOCK_UN)
	if fl == nil {
		return nil
	}
	if cur, ok := fl.flocks[fd]; ok {
		if op != unix.LOCK_UN && cur == excl {
			return nil
		}
		delete(fl.flocks, fd)
		fl.wakeLocked()
	}
	if op == unix.LOCK_UN {
		return nil
	}
	for flockConflictLocked(fl, fd, excl) {
		if nb {
			return unix.EWOULDBLOCK
		}
		var err error
		if fl, err = waitForUnlockLocked(ctx, key, fl); err != nil {
			return err
		}
	}
	if fl.flocks == nil {
		fl.flocks = make(map[*FileDescription]bool)
	}
	fl.flocks[fd] = excl
	fd.hasLocks.Store(true)
	return nil
}

func flockConflictLocked(fl *fileLocks, fd *FileDescription, excl bool) bool {
	for o, e := range fl.flocks {
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
	key := lockKey(fd)
	owner := recordOwner(fd, pid)
	locksMu.Lock()
	defer locksMu.Unlock()
	defer tidyLocked(key)
	fl := getLocksLocked(key, r.Type != Unlock)
	if fl == nil {
		return nil
	}
	if r.Type != Unlock {
		for {
			if _, ok := recordConflictLocked(fl, owner, r); !ok {
				break
			}
			if !wait {
				return unix.EAGAIN
			}
			var err error
			if fl, err = waitForUnlockLocked(ctx, key, fl); err != nil {
				return err
			}
		}
	}
	fl.setRangeLocked(owner, pid, r)
	fl.wakeLocked()
	if pid < 0 && r.Type != Unlock {
		fd.hasLocks.Store(true)
	}
	return nil
}

// TestRecordLock implements F_GETLK and F_OFD_GETLK: it returns the first
// lock of another owner that conflicts with r, if any.
func TestRecordLock(fd *FileDescription, pid int32, r LockRange) (RecordLock, bool) {
	locksMu.Lock()
	defer locksMu.Unlock()
	fl := getLocksLocked(lockKey(fd), false)
	if fl == nil {
		return RecordLock{}, false
	}
	return recordConflictLocked(fl, recordOwner(fd, pid), r)
}

func recordConflictLocked(fl *fileLocks, owner any, r LockRange) (RecordLock, bool) {
	for _, l := range fl.records {
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
func (fl *fileLocks) setRangeLocked(owner any, pid int32, r LockRange) {
	var out []RecordLock
	for _, l := range fl.records {
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
	fl.records = out
}

// ReleasePOSIXLocks drops the POSIX record locks that process pid holds on
// fd's file: Linux does so when the process closes any descriptor of the
// file (and so when it exits).
func ReleasePOSIXLocks(fd *FileDescription, pid int32) {
	key := lockKey(fd)
	locksMu.Lock()
	defer locksMu.Unlock()
	fl := getLocksLocked(key, false)
	if fl == nil {
		return
	}
	fl.releaseLocked(func(l *RecordLock) bool { return l.owner == any(pid) })
	tidyLocked(key)
}

// releaseDescriptionLocks drops the flock and OFD locks of fd, on its last
// reference.
func releaseDescriptionLocks(fd *FileDescription) {
	key := lockKey(fd)
	locksMu.Lock()
	defer locksMu.Unlock()
	fl := getLocksLocked(key, false)
	if fl == nil {
		return
	}
	if _, ok := fl.flocks[fd]; ok {
		delete(fl.flocks, fd)
		fl.wakeLocked()
	}
	fl.releaseLocked(func(l *RecordLock) bool { return l.owner == any(fd) })
	tidyLocked(key)
}

// releaseLocked drops the record locks that match and wakes waiters.
func (fl *fileLocks) releaseLocked(match func(*RecordLock) bool) {
	out := fl.records[:0]
	for i := range fl.records {
		if !match(&fl.records[i]) {
			out = append(out, fl.records[i])
		}
	}
	if len(out) != len(fl.records) {
		clear(fl.records[len(out):])
		fl.records = out
		fl.wakeLocked()
	}
}

// waitForUnlockLocked blocks the caller until the next release of a lock
// in fl (or an interruption), with locksMu dropped meanwhile, and returns
// the lock state of key afresh.
// Preconditions: locksMu is held; it is held again on return.
func waitForUnlockLocked(ctx Context, key any, fl *fileLocks) (*fileLocks, error) {
	ch := fl.waitChanLocked()
	locksMu.Unlock()
	err := ctx.Block(ch)
	locksMu.Lock()
	if err != nil {
		return nil, err
	}
	return getLocksLocked(key, true), nil
}
