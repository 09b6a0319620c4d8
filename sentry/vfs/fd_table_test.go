package vfs_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// countFile counts releases.
type countFile struct {
	released *int
}

func (countFile) Read(vfs.Context, []byte, int64) (int, error)  { return 0, nil }
func (countFile) Write(vfs.Context, []byte, int64) (int, error) { return 0, nil }
func (countFile) Seekable() bool                                { return false }
func (countFile) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}
func (countFile) Readiness(m uint32) uint32 { return m }
func (c countFile) Release()                { *c.released++ }

func newCounted() (*vfs.FileDescription, *int) {
	n := new(int)
	return vfs.NewFileDescription(countFile{released: n}, unix.O_RDWR, nil), n
}

func TestFDTable(t *testing.T) {
	tab := vfs.NewFDTable()
	f, released := newCounted()
	for want := int32(0); want < 3; want++ {
		got, err := tab.NewFD(f, 0, false)
		if err != nil || got != want {
			t.Fatalf("NewFD = %d, %v; want %d", got, err, want)
		}
	}
	if got, _ := tab.NewFD(f, 10, true); got != 10 {
		t.Fatalf("NewFD(min 10) = %d", got)
	}
	if fl, _ := tab.GetFlags(10); fl != vfs.FDFlagCloexec {
		t.Fatalf("flags of 10 = %d", fl)
	}
	// Lowest free slot is reused.
	if err := tab.Remove(1); err != nil {
		t.Fatal(err)
	}
	if err := tab.Remove(1); err != unix.EBADF {
		t.Fatalf("double close: %v", err)
	}
	if got, _ := tab.NewFD(f, 0, false); got != 1 {
		t.Fatalf("NewFD after close(1) = %d", got)
	}
	if got, _ := tab.NewFD(f, 0, false); got != 3 {
		t.Fatalf("next NewFD = %d", got)
	}
	// dup2 over an open FD closes the old description.
	g, gReleased := newCounted()
	if err := tab.SetFD(20, g, false); err != nil {
		t.Fatal(err)
	}
	g.DecRef()
	if err := tab.SetFD(20, f, false); err != nil {
		t.Fatal(err)
	}
	if *gReleased != 1 {
		t.Fatalf("dup2 over FD did not release the old file")
	}
	if _, err := tab.Get(7); err != unix.EBADF {
		t.Fatalf("Get(7) = %v", err)
	}
	if _, err := tab.Get(-1); err != unix.EBADF {
		t.Fatalf("Get(-1) = %v", err)
	}
	// Fork shares descriptions; the child's close does not close the parent's.
	child := tab.Fork()
	child.CloseOnExec()
	if _, err := child.Get(10); err != unix.EBADF {
		t.Fatalf("cloexec FD survived exec")
	}
	if h, err := tab.Get(10); err != nil {
		t.Fatalf("parent lost FD 10: %v", err)
	} else {
		h.DecRef()
	}
	child.CloseAll()
	tab.CloseAll()
	f.DecRef()
	if *released != 1 {
		t.Fatalf("released %d times, want 1", *released)
	}
}

func TestFDTableLimit(t *testing.T) {
	tab := vfs.NewFDTable()
	tab.SetLimit(3)
	f, _ := newCounted()
	defer f.DecRef()
	defer tab.CloseAll()
	for i := 0; i < 3; i++ {
		if _, err := tab.NewFD(f, 0, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tab.NewFD(f, 0, false); err != unix.EMFILE {
		t.Fatalf("past limit: %v", err)
	}
	if err := tab.SetFD(3, f, false); err != unix.EBADF {
		t.Fatalf("dup2 past limit: %v", err)
	}
	if _, err := tab.NewFD(f, -1, false); err != unix.EINVAL {
		t.Fatalf("negative min: %v", err)
	}
}

func TestFSContextForkIsIndependent(t *testing.T) {
	f := newFixture(t)
	child := f.fsctx.Fork()
	defer child.Release()
	a, err := f.v.GetDirAt(f.ctx, child, vfs.VirtualDentry{}, "/a")
	f.must(err)
	child.SetCwd(a)
	a.DecRef()
	child.SwapUmask(0o077)
	if p, _ := f.v.GetcwdPath(f.fsctx); p != "/" {
		t.Fatalf("parent cwd moved to %q", p)
	}
	if p, _ := f.v.GetcwdPath(child); p != "/a" {
		t.Fatalf("child cwd %q", p)
	}
	if f.fsctx.Umask() != 0o022 {
		t.Fatalf("parent umask changed")
	}
	// The umask applies to creation.
	f.must(f.v.MkdirAt(f.ctx, child, vfs.VirtualDentry{}, "d", 0o777))
	at, _ := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/d", false)
	if at.Mode&0o777 != 0o700 {
		t.Fatalf("mkdir under umask 077: mode %o", at.Mode)
	}
}

func TestOpenFlags(t *testing.T) {
	f := newFixture(t)
	none := vfs.VirtualDentry{}
	for _, tc := range []struct {
		name  string
		path  string
		flags uint32
		want  error
	}{
		{"excl existing", "/a/b/file", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"excl on symlink", "/dangling", unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY, unix.EEXIST},
		{"creat through dangling symlink", "/dangling", unix.O_CREAT | unix.O_WRONLY, nil},
		{"nofollow", "/a/b/flink", unix.O_RDONLY | unix.O_NOFOLLOW, unix.ELOOP},
		{"nofollow path", "/a/b/flink", unix.O_PATH | unix.O_NOFOLLOW, nil},
		{"directory on file", "/a/b/file", unix.O_RDONLY | unix.O_DIRECTORY, unix.ENOTDIR},
		{"write dir", "/a", unix.O_WRONLY, unix.EISDIR},
		{"creat dir", "/a", unix.O_CREAT | unix.O_RDONLY, unix.EISDIR},
		{"creat trailing slash", "/a/new/", unix.O_CREAT | unix.O_WRONLY, unix.EISDIR},
		{"missing", "/a/none", unix.O_RDONLY, unix.ENOENT},
		{"creat missing parent", "/none/x", unix.O_CREAT | unix.O_WRONLY, unix.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := f.v.OpenAt(f.ctx, f.fsctx, none, tc.path, tc.flags, 0o644)
			if err != tc.want {
				t.Fatalf("open(%q, %#x) = %v, want %v", tc.path, tc.flags, err, tc.want)
			}
			if fd != nil {
				fd.DecRef()
			}
		})
	}
	if _, err := f.v.StatAt(f.ctx, f.fsctx, none, "/nowhere", false); err != nil {
		t.Fatalf("O_CREAT through a dangling symlink did not create its target: %v", err)
	}
	// O_TRUNC empties; O_APPEND appends.
	f.writeFile("/t", "0123456789")
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, none, "/t", unix.O_WRONLY|unix.O_APPEND, 0)
	f.must(err)
	fd.Write(f.ctx, []byte("ab"))
	if _, err := fd.Seek(f.ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	fd.Write(f.ctx, []byte("cd"))
	if n, err := fd.Read(f.ctx, make([]byte, 1)); err != unix.EBADF {
		t.Fatalf("read on O_WRONLY: %d, %v", n, err)
	}
	fd.DecRef()
	if s, _ := f.readFile("/t"); s != "0123456789abcd" {
		t.Fatalf("after append: %q", s)
	}
	fd, err = f.v.OpenAt(f.ctx, f.fsctx, none, "/t", unix.O_RDWR|unix.O_TRUNC, 0)
	f.must(err)
	fd.DecRef()
	if s, _ := f.readFile("/t"); s != "" {
		t.Fatalf("after O_TRUNC: %q", s)
	}
}

func TestSeekAndPositionalIO(t *testing.T) {
	f := newFixture(t)
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b/file", unix.O_RDWR, 0)
	f.must(err)
	defer fd.DecRef()
	buf := make([]byte, 3)
	if n, _ := fd.PRead(f.ctx, buf, 2); string(buf[:n]) != "llo" {
		t.Fatalf("pread = %q", buf[:n])
	}
	if off, _ := fd.Seek(f.ctx, 0, 1); off != 0 {
		t.Fatalf("pread moved the offset to %d", off)
	}
	if off, _ := fd.Seek(f.ctx, -1, 2); off != 4 {
		t.Fatalf("SEEK_END-1 = %d", off)
	}
	if _, err := fd.Seek(f.ctx, -10, 1); err != unix.EINVAL {
		t.Fatalf("negative seek: %v", err)
	}
	if _, err := fd.Seek(f.ctx, 9, unix.SEEK_DATA); err != unix.ENXIO {
		t.Fatalf("SEEK_DATA past end: %v", err)
	}
	if n, _ := fd.ReadAt(buf, 0); string(buf[:n]) != "hel" {
		t.Fatalf("ReadAt = %q", buf[:n])
	}
	if _, err := fd.PWrite(f.ctx, []byte("J"), 0); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.readFile("/a/b/file"); s != "Jello" {
		t.Fatalf("after pwrite: %q", s)
	}
}

func TestReadDirents(t *testing.T) {
	f := newFixture(t)
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	f.must(err)
	defer fd.DecRef()
	var names []string
	// Read two at a time to check resumption.
	for {
		got := 0
		f.must(fd.ReadDirents(f.ctx, func(d vfs.Dirent, next int64) bool {
			if got == 2 {
				return false
			}
			got++
			names = append(names, d.Name)
			return true
		}))
		if got == 0 {
			break
		}
	}
	want := ".,..,file,flink,up"
	if s := joinNames(names); s != want {
		t.Fatalf("dirents %s, want %s", s, want)
	}
	if _, err := fd.Read(f.ctx, make([]byte, 1)); err != unix.EISDIR {
		t.Fatalf("read on dir: %v", err)
	}
}

func joinNames(n []string) string {
	s := ""
	for i, x := range n {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}

func TestPermissions(t *testing.T) {
	f := newFixture(t)
	none := vfs.VirtualDentry{}
	f.must(f.v.SetAttrAt(f.ctx, f.fsctx, none, "/a/b/file", false, vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o640}))
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, none, "/priv", 0o700))
	user := vfstest.NewCtx(1000, 1000)
	if _, err := f.v.OpenAt(user, f.fsctx, none, "/a/b/file", unix.O_RDONLY, 0); err != unix.EACCES {
		t.Errorf("other reading 0640 file: %v", err)
	}
	if _, err := f.v.StatAt(user, f.fsctx, none, "/priv/x", false); err != unix.EACCES {
		t.Errorf("search in 0700 dir: %v", err)
	}
	if err := f.v.MkdirAt(user, f.fsctx, none, "/a/x", 0o755); err != unix.EACCES {
		t.Errorf("mkdir in 0755 root-owned dir: %v", err)
	}
	if err := f.v.AccessAt(user, f.fsctx, none, "/a/b/file", vfs.MayWrite, true); err != unix.EACCES {
		t.Errorf("access W: %v", err)
	}
	if err := f.v.SetAttrAt(user, f.fsctx, none, "/a/b/file", true, vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o777}); err != unix.EPERM {
		t.Errorf("chmod by non-owner: %v", err)
	}
	// Group read works for a member of the group.
	grp := vfstest.NewCtx(1000, 0)
	if fd, err := f.v.OpenAt(grp, f.fsctx, none, "/a/b/file", unix.O_RDONLY, 0); err != nil {
		t.Errorf("group read: %v", err)
	} else {
		fd.DecRef()
	}
	// Root may not execute a file without any x bit.
	if _, err := f.v.OpenPath(f.ctx, f.fsctx, none, "/a/b/file"); err != unix.EACCES {
		t.Errorf("exec of 0640 file by root: %v", err)
	}
	if _, err := f.v.OpenPath(f.ctx, f.fsctx, none, "/a"); err != unix.EACCES {
		t.Errorf("exec of a directory: %v", err)
	}
	f.must(f.v.SetAttrAt(f.ctx, f.fsctx, none, "/a/b/file", false, vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o744}))
	fd, err := f.v.OpenPath(f.ctx, f.fsctx, none, "/a/link/file")
	if err != nil {
		t.Fatalf("exec of 0744 file: %v", err)
	}
	fd.DecRef()
	// Sticky /tmp: a user cannot remove another's file.
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, none, "/tmp", 0o777))
	f.must(f.v.SetAttrAt(f.ctx, f.fsctx, none, "/tmp", false, vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o1777}))
	f.writeFile("/tmp/rootfile", "r")
	if err := f.v.UnlinkAt(user, f.fsctx, none, "/tmp/rootfile"); err != unix.EPERM {
		t.Errorf("unlink in sticky dir: %v", err)
	}
}

func TestReadOnlyMount(t *testing.T) {
	f := newFixture(t)
	none := vfs.VirtualDentry{}
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, none, "/ro", 0o755))
	f.must(f.v.Mount(f.ctx, f.fsctx, "/ro", f.roTree(), true))
	if _, err := f.v.OpenAt(f.ctx, f.fsctx, none, "/ro/f", unix.O_WRONLY, 0); err != unix.EROFS {
		t.Errorf("open for write on ro mount: %v", err)
	}
	if err := f.v.MkdirAt(f.ctx, f.fsctx, none, "/ro/d", 0o755); err != unix.EROFS {
		t.Errorf("mkdir on ro mount: %v", err)
	}
	if err := f.v.MkdirAt(f.ctx, f.fsctx, none, "/ro/f", 0o755); err != unix.EEXIST {
		t.Errorf("mkdir of existing name on ro mount: %v", err)
	}
	if s, err := f.readFile("/ro/f"); err != nil || s != "ro" {
		t.Errorf("read on ro mount: %q %v", s, err)
	}
	if err := f.v.Umount(f.ctx, f.fsctx, "/ro"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.StatAt(f.ctx, f.fsctx, none, "/ro/f", false); err != unix.ENOENT {
		t.Errorf("after umount: %v", err)
	}
}
