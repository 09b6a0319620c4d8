package vfs

import (
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// These tests cover where locks live: on the inode, allocated by the first
// lock, shared by every description and name of the file, released by any
// close of the owning process.

func TestUnlockedFileHasNoLockState(t *testing.T) {
	d := newLockDentry()
	f := openLockFile(d)
	whole := LockRange{Unlock, 0, LockEOF}
	ReleasePOSIXLocks(f, 1)
	releaseDescriptionLocks(f)
	if _, ok := TestRecordLock(f, 1, LockRange{WriteLock, 0, LockEOF}); ok {
		t.Fatal("F_GETLK found a lock on a file never locked")
	}
	if err := SetRecordLock(newLockCtx(), f, 1, whole, false); err != nil {
		t.Fatalf("unlocking an unlocked file: %v", err)
	}
	if err := Flock(newLockCtx(), f, unix.LOCK_UN); err != nil {
		t.Fatalf("LOCK_UN on an unlocked file: %v", err)
	}
	if s := d.inode.Locks().get(); s != nil {
		t.Fatalf("a file never locked has lock state %+v", s)
	}
	if n := testing.AllocsPerRun(100, func() { ReleasePOSIXLocks(f, 1) }); n != 0 {
		t.Fatalf("closing a file never locked allocates %v times", n)
	}
}

func TestPOSIXLocksGoWithAnyCloseOfTheOwner(t *testing.T) {
	ctx := newLockCtx()
	d := newLockDentry()
	owner, other := NewFDTable(), NewFDTable()
	owner.SetOwner(1)
	other.SetOwner(2)
	a, b, c := openLockFile(d), openLockFile(d), openLockFile(d)
	afd, _ := owner.NewFD(a, 0, false)
	bfd, _ := owner.NewFD(b, 0, false)
	cfd, _ := other.NewFD(c, 0, false)
	probe := LockRange{WriteLock, 0, LockEOF}
	if err := SetRecordLock(ctx, a, 1, LockRange{WriteLock, 0, 10}, false); err != nil {
		t.Fatal(err)
	}
	if err := SetRecordLock(ctx, c, -1, LockRange{ReadLock, 20, 30}, false); err != nil {
		t.Fatal(err)
	}
	// Another process closing its descriptor of the file leaves the
	// owner's lock alone.
	if err := other.Remove(cfd); err != nil {
		t.Fatal(err)
	}
	if l, ok := TestRecordLock(b, 3, probe); !ok || l.PID != 1 {
		t.Fatalf("after another process's close: %+v %v, want pid 1's lock", l, ok)
	}
	// The owner closing another descriptor of the file (not the one it
	// locked through) releases it, as on Linux.
	if err := owner.Remove(bfd); err != nil {
		t.Fatal(err)
	}
	if l, ok := TestRecordLock(a, 3, probe); !ok || l.PID != -1 {
		t.Fatalf("after the owner's close: %+v %v, want only the OFD lock", l, ok)
	}
	// The OFD lock goes with its description's last reference.
	c.DecRef()
	if l, ok := TestRecordLock(a, 3, probe); ok {
		t.Fatalf("after the OFD description's release: %+v", l)
	}
	if err := owner.Remove(afd); err != nil {
		t.Fatal(err)
	}
	a.DecRef()
	b.DecRef()
	expectNoLocks(t, a)
}

func TestHardLinksShareLocks(t *testing.T) {
	ino := &lockInode{}
	one, two := &Dentry{inode: ino}, &Dentry{inode: ino}
	a, b := openLockFile(one), openLockFile(two)
	if err := SetRecordLock(newLockCtx(), a, 1, LockRange{WriteLock, 0, 1}, false); err != nil {
		t.Fatal(err)
	}
	if err := SetRecordLock(newLockCtx(), b, 2, LockRange{WriteLock, 0, 1}, false); err != unix.EAGAIN {
		t.Fatalf("lock through the other name: %v, want EAGAIN", err)
	}
	if err := Flock(newLockCtx(), a, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := Flock(newLockCtx(), b, unix.LOCK_SH|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Fatalf("flock through the other name: %v, want EWOULDBLOCK", err)
	}
}

// TestLocksConcurrent runs processes that take turns holding one write
// lock, through their own descriptions, while others open and close
// descriptions of the same and of other files; run it under -race.
func TestLocksConcurrent(t *testing.T) {
	const procs, rounds = 8, 200
	d := newLockDentry()
	var holders atomic.Int32
	var overlapped atomic.Bool
	var wg sync.WaitGroup
	for p := int32(1); p <= procs; p++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			table := NewFDTable()
			table.SetOwner(p)
			f := openLockFile(d)
			fd, _ := table.NewFD(f, 0, false)
			ctx := newLockCtx()
			for range rounds {
				if err := SetRecordLock(ctx, f, p, LockRange{WriteLock, 0, 10}, true); err != nil {
					t.Error(err)
					return
				}
				if holders.Add(1) != 1 {
					overlapped.Store(true)
				}
				holders.Add(-1)
				if err := SetRecordLock(ctx, f, p, LockRange{Unlock, 0, 10}, false); err != nil {
					t.Error(err)
					return
				}
			}
			table.Remove(fd)
			f.DecRef()
		}()
		go func() {
			defer wg.Done()
			table := NewFDTable()
			table.SetOwner(procs + p)
			mine := newLockDentry()
			for range rounds {
				for _, dd := range []*Dentry{d, mine} {
					f := openLockFile(dd)
					fd, _ := table.NewFD(f, 0, false)
					table.Remove(fd)
					f.DecRef()
				}
			}
		}()
	}
	wg.Wait()
	if overlapped.Load() {
		t.Fatal("two processes held the write lock at once")
	}
	expectNoLocks(t, openLockFile(d))
}

// BenchmarkCloseUnlocked closes descriptions of files nobody locked, on
// every CPU at once: the close path's lock check must not serialize them.
func BenchmarkCloseUnlocked(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		f := openLockFile(newLockDentry())
		for pb.Next() {
			ReleasePOSIXLocks(f, 1)
		}
	})
}
