package mm

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
	"golang.org/x/sys/unix"
)

func TestFutexWordAccess(t *testing.T) {
	m, _ := newMM(t)
	rw := mustMap(t, m, anon(0, 4096, platform.ReadWrite))
	ro := mustMap(t, m, anon(0, 4096, platform.Read))
	if prev, err := m.CompareAndSwapUint32(rw+8, 0, 7); err != nil || prev != 0 {
		t.Fatalf("CAS = %d, %v", prev, err)
	}
	if prev, err := m.CompareAndSwapUint32(rw+8, 1, 9); err != nil || prev != 7 {
		t.Fatalf("failed CAS = %d, %v; want the current value 7", prev, err)
	}
	if v, err := m.LoadUint32(rw + 8); err != nil || v != 7 {
		t.Fatalf("Load = %d, %v", v, err)
	}
	for _, tc := range []struct {
		name string
		addr uintptr
		want error
	}{
		{"misaligned", rw + 2, unix.EINVAL},
		{"unmapped", rw + 8192*16, unix.EFAULT},
		{"read-only", ro, unix.EFAULT},
	} {
		if _, err := m.CompareAndSwapUint32(tc.addr, 0, 1); err != tc.want {
			t.Errorf("CAS %s = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := m.LoadUint32(ro); err != nil {
		t.Errorf("Load of read-only memory = %v", err)
	}
}

func TestFutexKeys(t *testing.T) {
	m, _ := newMM(t)
	priv := mustMap(t, m, anon(0, 4096, platform.ReadWrite))
	ro := mustMap(t, m, anon(0, 4096, platform.Read))
	o := anon(0, 8192, platform.ReadWrite)
	o.Private = false
	shared := mustMap(t, m, o)
	f := &fakeFile{data: make([]byte, 8192)}
	fo := MMapOpts{Length: 8192, Perms: platform.ReadWrite, File: f, Offset: 4096}
	file := mustMap(t, m, fo)

	if k, err := m.FutexKey(0x1000_0000, true); err != nil || k.Kind != futex.KindPrivate {
		t.Errorf("private key of an unmapped word = %+v, %v; want no check", k, err)
	}
	if k, _ := m.FutexKey(priv, false); k.Kind != futex.KindPrivateMemory || k.Object != m {
		t.Errorf("shared op on private memory: %+v", k)
	}
	if _, err := m.FutexKey(ro, false); err != unix.EFAULT {
		t.Errorf("shared op on read-only private memory = %v, want EFAULT", err)
	}
	if _, err := m.FutexKey(priv+1<<30, false); err != unix.EFAULT {
		t.Errorf("shared key of an unmapped word = %v", err)
	}
	if k, _ := m.FutexKey(file+4100, false); k.Kind != futex.KindSharedFile || k.Offset != 8196 {
		t.Errorf("file key = %+v, want offset 8196", k)
	}

	// MAP_SHARED anonymous memory: the same key in a forked child, even
	// for a page nobody touched before the fork.
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	for _, addr := range []uintptr{shared + 4, shared + 4096 + 12} {
		pk, err := m.FutexKey(addr, false)
		if err != nil || pk.Kind != futex.KindSharedMemory {
			t.Fatalf("parent key = %+v, %v", pk, err)
		}
		ck, _ := c.FutexKey(addr, false)
		if ck != pk {
			t.Errorf("child key %+v != parent key %+v", ck, pk)
		}
	}
	if _, err := c.CompareAndSwapUint32(shared+4096+12, 0, 5); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.LoadUint32(shared + 4096 + 12); v != 5 {
		t.Errorf("parent sees %d of the child's store to an untouched shared page", v)
	}
	// Private memory: a child's keys differ, and its CAS breaks COW.
	pk, _ := m.FutexKey(priv, false)
	ck, _ := c.FutexKey(priv, false)
	if pk == ck {
		t.Error("private memory keys equal across fork")
	}
	c.CompareAndSwapUint32(priv, 0, 3)
	if v, _ := m.LoadUint32(priv); v != 0 {
		t.Errorf("child CAS reached the parent's private page: %d", v)
	}
}
