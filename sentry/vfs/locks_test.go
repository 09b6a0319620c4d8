package vfs

import (
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lockInode stands for one file: its identity and its locks.
type lockInode struct {
	Inode
	locks InodeLocks
}

func (i *lockInode) Locks() *InodeLocks { return &i.locks }

// lockCtx is a Context whose Block can be interrupted (vfstest imports
// this package, so it cannot be used here).
type lockCtx struct{ intr chan struct{} }

func newLockCtx() *lockCtx                      { return &lockCtx{intr: make(chan struct{})} }
func (c *lockCtx) UID() uint32                  { return 0 }
func (c *lockCtx) GID() uint32                  { return 0 }
func (c *lockCtx) Interrupted() <-chan struct{} { return c.intr }
func (c *lockCtx) Block(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-c.intr:
		return ErrInterrupted
	}
}

// openLockFile returns a description of the file d, as a second open(2)
// of it would.
func openLockFile(d *Dentry) *FileDescription {
	// Any FileImpl that releases nothing will do.
	fd := &FileDescription{impl: DirectoryFile{}, vd: &VirtualDentry{Dentry: d}}
	fd.refs.Store(1)
	fd.flags.Store(unix.O_RDWR)
	return fd
}

func newLockDentry() *Dentry { return &Dentry{inode: &lockInode{}} }

// waitResult runs fn in a goroutine and returns a channel with its result.
func waitResult(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

func expectBlocked(t *testing.T, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("did not block: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
}

func expectDone(t *testing.T, ch <-chan error, want error) {
	t.Helper()
	select {
	case err := <-ch:
		if err != want {
			t.Fatalf("got %v, want %v", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still blocked")
	}
}

func TestFlock(t *testing.T) {
	ctx := newLockCtx()
	d := newLockDentry()
	a, b := openLockFile(d), openLockFile(d)
	steps := []struct {
		name string
		fd   *FileDescription
		op   int
		want error
	}{
		{"a exclusive", a, unix.LOCK_EX, nil},
		{"a again", a, unix.LOCK_EX | unix.LOCK_NB, nil},
		{"b exclusive conflicts", b, unix.LOCK_EX | unix.LOCK_NB, unix.EWOULDBLOCK},
		{"b shared conflicts", b, unix.LOCK_SH | unix.LOCK_NB, unix.EWOULDBLOCK},
		{"a downgrades", a, unix.LOCK_SH, nil},
		{"b shares", b, unix.LOCK_SH | unix.LOCK_NB, nil},
		{"b upgrade conflicts", b, unix.LOCK_EX | unix.LOCK_NB, unix.EWOULDBLOCK},
		{"a unlocks", a, unix.LOCK_UN, nil},
		{"b exclusive", b, unix.LOCK_EX | unix.LOCK_NB, nil},
		{"bad op", a, 0, unix.EINVAL},
	}
	for _, s := range steps {
		if err := Flock(ctx, s.fd, s.op); err != s.want {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
	}
	// b's last reference releases its lock and wakes a.
	done := waitResult(func() error { return Flock(ctx, a, unix.LOCK_EX) })
	expectBlocked(t, done)
	releaseDescriptionLocks(b)
	expectDone(t, done, nil)
	// An interrupted wait fails with ErrInterrupted.
	ictx := newLockCtx()
	done = waitResult(func() error { return Flock(ictx, b, unix.LOCK_SH) })
	expectBlocked(t, done)
	close(ictx.intr)
	expectDone(t, done, ErrInterrupted)
	releaseDescriptionLocks(a)
	expectNoLocks(t, a)
}

// expectNoLocks fails unless fd's file holds no lock.
func expectNoLocks(t *testing.T, fd *FileDescription) {
	t.Helper()
	s := fd.lockState().get()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.flocks) != 0 || len(s.records) != 0 {
		t.Fatalf("locks left: flocks %v, records %v", s.flocks, s.records)
	}
}

func TestRecordLocks(t *testing.T) {
	ctx := newLockCtx()
	d := newLockDentry()
	f := openLockFile(d)
	set := func(pid int32, typ LockType, start, end int64) {
		t.Helper()
		if err := SetRecordLock(ctx, f, pid, LockRange{typ, start, end}, false); err != nil {
			t.Fatalf("SetRecordLock(%d, %d, [%d,%d)): %v", pid, typ, start, end, err)
		}
	}
	ranges := func() [][3]int64 {
		var out [][3]int64
		s := f.lockState().get()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, l := range s.records {
			out = append(out, [3]int64{int64(l.Type), l.Start, l.End})
		}
		return out
	}
	wr, rd := int64(WriteLock), int64(ReadLock)
	set(1, WriteLock, 0, 10)
	set(1, Unlock, 3, 5) // splits
	if got, want := ranges(), [][3]int64{{wr, 0, 3}, {wr, 5, 10}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after split: %v, want %v", got, want)
	}
	set(1, ReadLock, 3, 5)
	if got, want := ranges(), [][3]int64{{wr, 0, 3}, {wr, 5, 10}, {rd, 3, 5}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after read lock: %v, want %v", got, want)
	}
	set(1, WriteLock, 3, 5) // merges
	if got, want := ranges(), [][3]int64{{wr, 0, 10}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after merge: %v, want %v", got, want)
	}

	tests := []struct {
		name   string
		pid    int32
		r      LockRange
		found  bool
		holder RecordLock
	}{
		{"own lock", 1, LockRange{WriteLock, 0, LockEOF}, false, RecordLock{}},
		{"overlap", 2, LockRange{ReadLock, 9, 20}, true, RecordLock{Type: WriteLock, Start: 0, End: 10, PID: 1}},
		{"past it", 2, LockRange{WriteLock, 10, LockEOF}, false, RecordLock{}},
		{"ofd of same process", -1, LockRange{ReadLock, 0, 1}, true, RecordLock{Type: WriteLock, Start: 0, End: 10, PID: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := TestRecordLock(f, tc.pid, tc.r)
			l.owner = nil
			if ok != tc.found || l != tc.holder {
				t.Fatalf("got %+v %v, want %+v %v", l, ok, tc.holder, tc.found)
			}
		})
	}
	if err := SetRecordLock(ctx, f, 2, LockRange{ReadLock, 5, 6}, false); err != unix.EAGAIN {
		t.Fatalf("conflicting lock: %v, want EAGAIN", err)
	}
	done := waitResult(func() error { return SetRecordLock(ctx, f, 2, LockRange{WriteLock, 5, 6}, true) })
	expectBlocked(t, done)
	ReleasePOSIXLocks(f, 1)
	expectDone(t, done, nil)
	if l, ok := TestRecordLock(f, 1, LockRange{ReadLock, 0, LockEOF}); !ok || l.PID != 2 || l.Start != 5 || l.End != 6 {
		t.Fatalf("after release: %+v %v", l, ok)
	}
	ReleasePOSIXLocks(f, 2)
	expectNoLocks(t, f)
}
