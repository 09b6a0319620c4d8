package vfs_test

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// fixture is a VFS with a tmpfs root holding:
//
//	/a/b/file        "hello"
//	/a/link   -> b
//	/a/abs    -> /a/b
//	/a/b/up   -> ../..
//	/a/b/flink -> file
//	/loop1 -> loop2, /loop2 -> loop1
//	/dangling -> nowhere
//	/mnt             (a second tmpfs mounted here, holding /mnt/x)
//	/self -> self
type fixture struct {
	t     *testing.T
	ctx   *vfstest.Ctx
	v     *vfs.VFS
	fsctx *vfs.FSContext
	// root and mnt are the file systems mounted at / and /mnt.
	root, mnt vfs.Inode
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := vfstest.Root()
	v := vfs.New()
	f := &fixture{t: t, ctx: ctx, v: v, root: tmpfs.New(0o755), mnt: tmpfs.New(0o1777)}
	root := v.MountRoot(f.root)
	f.fsctx = vfs.NewFSContext(root)
	root.DecRef()
	f.must(v.MkdirAt(ctx, f.fsctx, vfs.VirtualDentry{}, "/a", 0o755))
	f.must(v.MkdirAt(ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b", 0o755))
	f.writeFile("/a/b/file", "hello")
	for _, l := range [][2]string{
		{"b", "/a/link"}, {"/a/b", "/a/abs"}, {"../..", "/a/b/up"}, {"file", "/a/b/flink"},
		{"loop2", "/loop1"}, {"loop1", "/loop2"}, {"nowhere", "/dangling"}, {"self", "/self"},
	} {
		f.must(v.SymlinkAt(ctx, f.fsctx, l[0], vfs.VirtualDentry{}, l[1]))
	}
	f.must(v.MkdirAt(ctx, f.fsctx, vfs.VirtualDentry{}, "/mnt", 0o755))
	f.must(v.Mount(ctx, f.fsctx, "/mnt", f.mnt, false))
	f.writeFile("/mnt/x", "x")
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) writeFile(path, data string) {
	f.t.Helper()
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644)
	f.must(err)
	defer fd.DecRef()
	if _, err := fd.Write(f.ctx, []byte(data)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) readFile(path string) (string, error) {
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer fd.DecRef()
	buf := make([]byte, 4096)
	n, err := fd.Read(f.ctx, buf)
	return string(buf[:n]), err
}

func (f *fixture) ino(path string) uint64 {
	f.t.Helper()
	a, err := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, path, false)
	f.must(err)
	return a.Ino
}

// resolveCase is one path resolution and what it must give.
type resolveCase struct {
	name    string
	path    string
	follow  bool
	wantIno uint64 // 0: a symlink
	wantErr error
}

// resolveCases are the resolutions every fixture must get right.
func resolveCases(f *fixture) []resolveCase {
	fileIno, bIno, rootIno, aIno := f.ino("/a/b/file"), f.ino("/a/b"), f.ino("/"), f.ino("/a")
	mntIno := f.ino("/mnt")
	return []resolveCase{
		{name: "plain", path: "/a/b/file", wantIno: fileIno},
		{name: "dots", path: "/a/./b/../b//file", wantIno: fileIno},
		{name: "relative from cwd", path: "a/b/file", wantIno: fileIno},
		{name: "dotdot above root stays", path: "/../../a/b/file", wantIno: fileIno},
		{name: "root", path: "/", wantIno: rootIno},
		{name: "dotdot of root", path: "/..", wantIno: rootIno},
		{name: "relative symlink mid-path", path: "/a/link/file", wantIno: fileIno},
		{name: "absolute symlink mid-path", path: "/a/abs/file", wantIno: fileIno},
		{name: "symlink to dotdot", path: "/a/b/up/a/b/file", wantIno: fileIno},
		{name: "final symlink not followed", path: "/a/b/flink", wantIno: 0},
		{name: "final symlink followed", path: "/a/b/flink", follow: true, wantIno: fileIno},
		{name: "trailing slash follows", path: "/a/link/", wantIno: bIno},
		{name: "trailing slash on file", path: "/a/b/file/", wantErr: unix.ENOTDIR},
		{name: "file as directory", path: "/a/b/file/x", wantErr: unix.ENOTDIR},
		{name: "missing", path: "/a/nope", wantErr: unix.ENOENT},
		{name: "missing middle", path: "/nope/x", wantErr: unix.ENOENT},
		{name: "missing deep", path: "/a/b/nope/x/y", wantErr: unix.ENOENT},
		{name: "empty", path: "", wantErr: unix.ENOENT},
		{name: "loop", path: "/loop1", follow: true, wantErr: unix.ELOOP},
		{name: "loop mid-path", path: "/loop1/x", wantErr: unix.ELOOP},
		{name: "self loop", path: "/self/", wantErr: unix.ELOOP},
		{name: "dangling followed", path: "/dangling", follow: true, wantErr: unix.ENOENT},
		{name: "long component", path: "/" + strings.Repeat("x", 256), wantErr: unix.ENAMETOOLONG},
		{name: "long component deep", path: "/a/b/" + strings.Repeat("x", 256) + "/c", wantErr: unix.ENAMETOOLONG},
		{name: "long path", path: strings.Repeat("a/", 2100), wantErr: unix.ENAMETOOLONG},
		{name: "into mount", path: "/mnt/x", wantIno: f.ino("/mnt/x")},
		{name: "out of mount", path: "/mnt/../a", wantIno: aIno},
		{name: "mount root dotdot", path: "/mnt/..", wantIno: rootIno},
		{name: "mount root", path: "/mnt/.", wantIno: mntIno},
	}
}

// check resolves tc.path in f and checks the result.
func (tc resolveCase) check(t *testing.T, f *fixture) {
	t.Helper()
	a, err := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, tc.path, tc.follow)
	if tc.wantErr != nil {
		if !errors.Is(err, tc.wantErr) {
			t.Fatalf("StatAt(%q) = %v, want %v", tc.path, err, tc.wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("StatAt(%q): %v", tc.path, err)
	}
	if tc.wantIno == 0 {
		if vfs.FileType(a.Mode)&vfs.TypeMask != vfs.TypeSymlink {
			t.Fatalf("StatAt(%q) mode %o, want a symlink", tc.path, a.Mode)
		}
		return
	}
	if a.Ino != tc.wantIno {
		t.Fatalf("StatAt(%q) ino %d, want %d", tc.path, a.Ino, tc.wantIno)
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	for _, tc := range resolveCases(f) {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, f) })
	}
}

func TestMountIsDistinctFileSystem(t *testing.T) {
	f := newFixture(t)
	m, err := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/mnt", true)
	f.must(err)
	r, err := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/", true)
	f.must(err)
	if m.Dev == r.Dev {
		t.Fatalf("/mnt and / share st_dev %d", m.Dev)
	}
	if m.Mode&0o7777 != 0o1777 {
		t.Fatalf("/mnt mode %o, want the mounted root's 1777", m.Mode)
	}
	// Rename across mounts is EXDEV.
	err = f.v.RenameAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/mnt/x", vfs.VirtualDentry{}, "/x", 0)
	if err != unix.EXDEV {
		t.Fatalf("rename across mounts: %v, want EXDEV", err)
	}
	// A mount point cannot be removed.
	if err := f.v.RmdirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/mnt"); err != unix.EBUSY {
		t.Fatalf("rmdir mount point: %v, want EBUSY", err)
	}
	var paths []string
	for _, m := range f.v.Mounts(f.fsctx) {
		paths = append(paths, m.Path)
	}
	if strings.Join(paths, ",") != "/,/mnt" {
		t.Fatalf("Mounts = %v", paths)
	}
}

func TestChroot(t *testing.T) {
	f := newFixture(t)
	a, err := f.v.GetDirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a")
	f.must(err)
	f.fsctx.SetRoot(a)
	f.fsctx.SetCwd(a)
	a.DecRef()
	fileIno := f.ino("/b/file")
	for _, path := range []string{"/../b/file", "../../../b/file", "/b/up/b/file", "/abs/../b/file"} {
		// /abs -> /a/b does not exist inside the chroot.
		got, err := f.v.StatAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, path, true)
		if path == "/abs/../b/file" {
			if err != unix.ENOENT {
				t.Errorf("%s: %v, want ENOENT (absolute symlinks resolve in the chroot)", path, err)
			}
			continue
		}
		if err != nil || got.Ino != fileIno {
			t.Errorf("%s: ino %d err %v, want %d", path, got.Ino, err, fileIno)
		}
	}
	if p, err := f.v.GetcwdPath(f.fsctx); err != nil || p != "/" {
		t.Errorf("getcwd in chroot = %q, %v; want /", p, err)
	}
}

func TestPathsAndGetcwd(t *testing.T) {
	f := newFixture(t)
	b, err := f.v.GetDirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/link")
	f.must(err)
	f.fsctx.SetCwd(b)
	b.DecRef()
	if p, err := f.v.GetcwdPath(f.fsctx); err != nil || p != "/a/b" {
		t.Fatalf("getcwd = %q, %v", p, err)
	}
	fd, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "file", unix.O_RDONLY, 0)
	f.must(err)
	defer fd.DecRef()
	if p := f.v.PathOf(f.fsctx, *fd.VirtualDentry()); p != "/a/b/file" {
		t.Fatalf("PathOf = %q", p)
	}
	// Renaming the directory moves the printed path.
	f.must(f.v.RenameAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b", vfs.VirtualDentry{}, "/c", 0))
	if p := f.v.PathOf(f.fsctx, *fd.VirtualDentry()); p != "/c/file" {
		t.Fatalf("PathOf after rename = %q", p)
	}
	f.must(f.v.UnlinkAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/c/file"))
	if p := f.v.PathOf(f.fsctx, *fd.VirtualDentry()); p != "/c/file (deleted)" {
		t.Fatalf("PathOf after unlink = %q", p)
	}
	// The open file still reads.
	buf := make([]byte, 10)
	if n, _ := fd.Read(f.ctx, buf); string(buf[:n]) != "hello" {
		t.Fatalf("read after unlink = %q", buf[:n])
	}
	// A removed cwd makes getcwd fail with ENOENT.
	f.must(f.v.UnlinkAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/c/up"))
	f.must(f.v.UnlinkAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/c/flink"))
	f.must(f.v.RmdirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/c"))
	if _, err := f.v.GetcwdPath(f.fsctx); err != unix.ENOENT {
		t.Fatalf("getcwd of removed dir: %v", err)
	}
	// Creating in a removed directory fails.
	if _, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "new", unix.O_CREAT|unix.O_WRONLY, 0o644); err != unix.ENOENT {
		t.Fatalf("create in removed cwd: %v", err)
	}
}

func TestRelativeToStart(t *testing.T) {
	f := newFixture(t)
	dir, err := f.v.OpenAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	f.must(err)
	defer dir.DecRef()
	a, err := f.v.StatAt(f.ctx, f.fsctx, *dir.VirtualDentry(), "file", false)
	if err != nil || a.Size != 5 {
		t.Fatalf("stat relative to dirfd: %+v, %v", a, err)
	}
	// An absolute path ignores the start.
	if _, err := f.v.StatAt(f.ctx, f.fsctx, *dir.VirtualDentry(), "/mnt/x", false); err != nil {
		t.Fatal(err)
	}
}

// roTree returns a tmpfs holding f = "ro", to mount read-only.
func (f *fixture) roTree() vfs.Inode {
	root := tmpfs.New(0o755)
	c, err := root.Create(f.ctx, "f", 0o644)
	f.must(err)
	file, err := c.Open(f.ctx, unix.O_WRONLY)
	f.must(err)
	if _, err := file.Write(f.ctx, []byte("ro"), 0); err != nil {
		f.t.Fatal(err)
	}
	return root
}
