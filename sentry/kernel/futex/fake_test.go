package futex

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeMemory is an address space of 64 KiB at address 0x10000 whose every
// page is MAP_SHARED memory backed by store: two fakes over one store are
// two processes sharing it (at the same address). Addresses outside are
// EFAULT.
type fakeMemory struct {
	store *fakeStore
}

type fakeStore struct {
	mu  sync.Mutex
	mem [64 << 10]byte
}

const fakeBase = 0x10000

func newFakeMemory() *fakeMemory { return &fakeMemory{store: &fakeStore{}} }

// sharing returns another address space over the same memory.
func (f *fakeMemory) sharing() *fakeMemory { return &fakeMemory{store: f.store} }

func (f *fakeMemory) offset(addr uintptr, n int) (int, error) {
	if addr < fakeBase || addr+uintptr(n) > fakeBase+uintptr(len(f.store.mem)) || addr+uintptr(n) < addr {
		return 0, unix.EFAULT
	}
	return int(addr - fakeBase), nil
}

func (f *fakeMemory) LoadUint32(addr uintptr) (uint32, error) {
	off, err := f.offset(addr, 4)
	if err != nil {
		return 0, err
	}
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	return binary.LittleEndian.Uint32(f.store.mem[off:]), nil
}

func (f *fakeMemory) CompareAndSwapUint32(addr uintptr, old, new uint32) (uint32, error) {
	off, err := f.offset(addr, 4)
	if err != nil {
		return 0, err
	}
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	cur := binary.LittleEndian.Uint32(f.store.mem[off:])
	if cur == old {
		binary.LittleEndian.PutUint32(f.store.mem[off:], new)
	}
	return cur, nil
}

func (f *fakeMemory) CopyIn(addr uintptr, dst []byte) (int, error) {
	off, err := f.offset(addr, len(dst))
	if err != nil {
		return 0, err
	}
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	return copy(dst, f.store.mem[off:]), nil
}

func (f *fakeMemory) FutexKey(addr uintptr, private bool) (Key, error) {
	if private {
		return Key{Kind: KindPrivate, Object: f, Offset: uint64(addr)}, nil
	}
	if _, err := f.offset(addr, 4); err != nil {
		return Key{}, err
	}
	return Key{Kind: KindSharedMemory, Object: f.store, Offset: uint64(addr)}, nil
}

// store and load are the test's own accesses.
func (f *fakeMemory) store32(t *testing.T, addr uintptr, v uint32) {
	t.Helper()
	off, err := f.offset(addr, 4)
	if err != nil {
		t.Fatal(err)
	}
	f.store.mu.Lock()
	binary.LittleEndian.PutUint32(f.store.mem[off:], v)
	f.store.mu.Unlock()
}

func (f *fakeMemory) store64(t *testing.T, addr uintptr, v uint64) {
	t.Helper()
	off, err := f.offset(addr, 8)
	if err != nil {
		t.Fatal(err)
	}
	f.store.mu.Lock()
	binary.LittleEndian.PutUint64(f.store.mem[off:], v)
	f.store.mu.Unlock()
}

func (f *fakeMemory) load32(t *testing.T, addr uintptr) uint32 {
	t.Helper()
	v, err := f.LoadUint32(addr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// threads is a ThreadAlive over a fixed set of TIDs.
func threads(tids ...uint32) ThreadAlive {
	return func(tid uint32) bool {
		for _, t := range tids {
			if t == tid {
				return true
			}
		}
		return false
	}
}

// wokenWithin says whether w's channel receives within d.
func wokenWithin(w *Waiter, d time.Duration) bool {
	select {
	case <-w.C():
		return true
	case <-time.After(d):
		return false
	}
}
