package memfd

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

func TestSeals(t *testing.T) {
	ctx := vfstest.Root()
	v := vfs.New()
	f, err := Create(ctx, v, "t", FlagAllowSealing)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if _, err := f.Write(ctx, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	size := func(n int64) error { return f.SetAttr(ctx, vfs.SetAttr{Mask: vfs.SetSize, Size: n}) }
	for _, tc := range []struct {
		name string
		add  uint32
		op   func() error
		want error
	}{
		{"shrink-sealed", SealShrink, func() error { return size(5) }, unix.EPERM},
		{"grow-ok", 0, func() error { return size(20) }, nil},
		{"grow-sealed", SealGrow, func() error { return size(21) }, unix.EPERM},
		{"write-past-end", 0, func() error { _, err := f.PWrite(ctx, []byte("x"), 20); return err }, unix.EPERM},
		{"write-inside", 0, func() error { _, err := f.PWrite(ctx, []byte("x"), 19); return err }, nil},
		{"write-sealed", SealWrite, func() error { _, err := f.PWrite(ctx, []byte("x"), 0); return err }, unix.EPERM},
		{"map-shared-writable", 0, func() error { _, err := CheckMap(f, true, true); return err }, unix.EPERM},
		{"map-private", 0, func() error { _, err := CheckMap(f, false, true); return err }, nil},
		{"seal-seal", SealSeal, func() error { return AddSeals(f, SealShrink) }, unix.EPERM},
	} {
		if tc.add != 0 {
			if err := AddSeals(f, tc.add); err != nil {
				t.Fatalf("%s: add %#x: %v", tc.name, tc.add, err)
			}
		}
		if err := tc.op(); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if s, _ := Seals(f); s != SealShrink|SealGrow|SealWrite|SealSeal {
		t.Fatalf("seals %#x", s)
	}
}

func TestCreateFlags(t *testing.T) {
	ctx := vfstest.Root()
	v := vfs.New()
	for _, tc := range []struct {
		name  string
		flags uint32
		want  error
		seals uint32
	}{
		{"plain", 0, nil, SealSeal},
		{"sealing", FlagAllowSealing, nil, 0},
		{"noexec", FlagNoexecSeal, nil, SealExec},
		{"exec-and-noexec", FlagExec | FlagNoexecSeal, unix.EINVAL, 0},
		{"hugetlb", FlagHugeTLB, unix.EINVAL, 0},
		{"unknown", 0x100, unix.EINVAL, 0},
	} {
		f, err := Create(ctx, v, tc.name, tc.flags)
		if err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if err != nil {
			continue
		}
		if s, _ := Seals(f); s != tc.seals {
			t.Errorf("%s: seals %#x, want %#x", tc.name, s, tc.seals)
		}
		f.DecRef()
	}
}
