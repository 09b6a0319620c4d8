package dev_test

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/dev"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

func TestDevices(t *testing.T) {
	ctx := vfstest.NewCtx(1000, 1000)
	v := vfs.New()
	root := v.MountRoot(tmpfs.New(0o755))
	fsctx := vfs.NewFSContext(root)
	none := vfs.VirtualDentry{}
	v.MkdirAt(vfstest.Root(), fsctx, none, "/dev", 0o755)
	dev.Register(v)
	d, err := dev.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Mount(vfstest.Root(), fsctx, "/dev", d, false); err != nil {
		t.Fatal(err)
	}
	open := func(path string) *vfs.FileDescription {
		t.Helper()
		fd, err := v.OpenAt(ctx, fsctx, none, path, unix.O_RDWR, 0)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		return fd
	}
	buf := bytes.Repeat([]byte{0xaa}, 64)
	for _, tc := range []struct {
		path     string
		readN    int
		zeros    bool
		writeErr error
	}{
		{"/dev/null", 0, false, nil},
		{"/dev/zero", 64, true, nil},
		{"/dev/full", 64, true, unix.ENOSPC},
		{"/dev/urandom", 64, false, nil},
		{"/dev/random", 64, false, nil},
	} {
		fd := open(tc.path)
		copy(buf, bytes.Repeat([]byte{0xaa}, 64))
		n, err := fd.Read(ctx, buf)
		if err != nil || n != tc.readN {
			t.Errorf("%s: read %d, %v", tc.path, n, err)
		}
		if tc.zeros && !bytes.Equal(buf, make([]byte, 64)) {
			t.Errorf("%s: not zeros", tc.path)
		}
		if _, err := fd.Write(ctx, []byte("x")); err != tc.writeErr {
			t.Errorf("%s: write %v", tc.path, err)
		}
		a, _ := fd.Stat(ctx)
		if vfs.FileType(a.Mode)&vfs.TypeMask != vfs.TypeCharDev {
			t.Errorf("%s: mode %o", tc.path, a.Mode)
		}
		fd.DecRef()
	}
	a, _ := v.StatAt(ctx, fsctx, none, "/dev/null", true)
	if a.Rdev != unix.Mkdev(1, 3) || a.Mode&0o777 != 0o666 {
		t.Errorf("/dev/null rdev %#x mode %o", a.Rdev, a.Mode)
	}
	if _, err := v.OpenAt(ctx, fsctx, none, "/dev/tty", unix.O_RDWR, 0); err != unix.ENXIO {
		t.Errorf("/dev/tty: %v", err)
	}
	for link, want := range map[string]string{"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
		"/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"} {
		if got, err := v.ReadlinkAt(ctx, fsctx, none, link); err != nil || got != want {
			t.Errorf("readlink %s = %q %v", link, got, err)
		}
	}
	// /dev/shm is a writable tmpfs for everyone; /dev/pts exists.
	if a, err := v.StatAt(ctx, fsctx, none, "/dev/shm", true); err != nil || a.Mode&0o7777 != 0o1777 {
		t.Errorf("/dev/shm: mode %o, %v; want 1777", a.Mode, err)
	}
	fd, err := v.OpenAt(ctx, fsctx, none, "/dev/shm/seg", unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatalf("create in /dev/shm: %v", err)
	}
	fd.DecRef()
	if a, err := v.StatAt(ctx, fsctx, none, "/dev/pts", true); err != nil || a.Mode&uint32(vfs.TypeMask) != uint32(vfs.TypeDirectory) {
		t.Errorf("/dev/pts: %v", err)
	}
}

// TestDeviceNodesAnywhere checks that the drivers answer for nodes made
// anywhere (root may mknod /tmp/null as on Linux), that a node of an
// unknown device opens with ENXIO, that a nodev mount refuses to open
// devices, and that /dev takes new entries (mount points).
func TestDeviceNodesAnywhere(t *testing.T) {
	root := vfstest.Root()
	v := vfs.New()
	dev.Register(v)
	fsctx := vfs.NewFSContext(v.MountRoot(tmpfs.New(0o755)))
	none := vfs.VirtualDentry{}
	if err := v.MknodAt(root, fsctx, none, "/zero", uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(1, 5)); err != nil {
		t.Fatal(err)
	}
	fd, err := v.OpenAt(root, fsctx, none, "/zero", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open of a /dev/zero node made elsewhere: %v", err)
	}
	buf := []byte{1, 2, 3}
	if n, err := fd.Read(root, buf); err != nil || n != 3 || buf[0] != 0 {
		t.Errorf("read = %d, %v, %v; want zeros", n, err, buf)
	}
	fd.DecRef()
	if err := v.MknodAt(root, fsctx, none, "/unknown", uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(250, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.OpenAt(root, fsctx, none, "/unknown", unix.O_RDONLY, 0); err != unix.ENXIO {
		t.Errorf("open of an unknown device = %v, want ENXIO", err)
	}
	v.MkdirAt(root, fsctx, none, "/nodev", 0o755)
	if err := v.MountWithOptions(root, fsctx, "/nodev", tmpfs.New(0o755), vfs.MountOptions{NoDev: true}); err != nil {
		t.Fatal(err)
	}
	if err := v.MknodAt(root, fsctx, none, "/nodev/null", uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(1, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.OpenAt(root, fsctx, none, "/nodev/null", unix.O_RDONLY, 0); err != unix.EACCES {
		t.Errorf("open of a device on a nodev mount = %v, want EACCES", err)
	}
	d, err := dev.New()
	if err != nil {
		t.Fatal(err)
	}
	v.MkdirAt(root, fsctx, none, "/dev", 0o755)
	if err := v.Mount(root, fsctx, "/dev", d, false); err != nil {
		t.Fatal(err)
	}
	if err := v.MkdirAt(root, fsctx, none, "/dev/mqueue", 0o755); err != nil {
		t.Errorf("mkdir /dev/mqueue: %v", err)
	}
}
