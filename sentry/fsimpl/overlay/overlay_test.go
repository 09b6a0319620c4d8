package overlay_test

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/overlay"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// env is an overlay mounted as the VFS root, with direct access to the
// lower layer through a second VFS.
type env struct {
	t     *testing.T
	ctx   *vfstest.Ctx
	v     *vfs.VFS
	fsctx *vfs.FSContext
	lv    *vfs.VFS
	lctx  *vfs.FSContext
}

func newEnv(t *testing.T) *env {
	ctx := vfstest.Root()
	lower := tmpfs.New(0o755)
	e := &env{t: t, ctx: ctx}
	e.lv = vfs.New()
	lr := e.lv.MountRoot(lower)
	e.lctx = vfs.NewFSContext(lr)
	// Populate the lower layer.
	e.must(e.lv.MkdirAt(ctx, e.lctx, vfs.VirtualDentry{}, "/etc", 0o755))
	e.must(e.lv.MkdirAt(ctx, e.lctx, vfs.VirtualDentry{}, "/etc/d", 0o700))
	e.write(e.lv, e.lctx, "/etc/passwd", "root:x:0:0\n", 0o644)
	e.write(e.lv, e.lctx, "/etc/hosts", "127.0.0.1 localhost\n", 0o644)
	e.write(e.lv, e.lctx, "/etc/d/x", "x", 0o600)
	e.must(e.lv.SymlinkAt(ctx, e.lctx, "passwd", vfs.VirtualDentry{}, "/etc/pw"))
	e.must(e.lv.SetAttrAt(ctx, e.lctx, vfs.VirtualDentry{}, "/etc/passwd", false,
		vfs.SetAttr{Mask: vfs.SetUID | vfs.SetGID, UID: 7, GID: 8}))

	e.v = vfs.New()
	r := e.v.MountRoot(overlay.New(tmpfs.New(0o755), lower))
	e.fsctx = vfs.NewFSContext(r)
	return e
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) write(v *vfs.VFS, fsctx *vfs.FSContext, path, data string, mode uint32) {
	e.t.Helper()
	fd, err := v.OpenAt(e.ctx, fsctx, vfs.VirtualDentry{}, path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, mode)
	e.must(err)
	defer fd.DecRef()
	_, err = fd.Write(e.ctx, []byte(data))
	e.must(err)
}

func (e *env) read(v *vfs.VFS, fsctx *vfs.FSContext, path string) (string, error) {
	fd, err := v.OpenAt(e.ctx, fsctx, vfs.VirtualDentry{}, path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer fd.DecRef()
	var sb strings.Builder
	buf := make([]byte, 7)
	for {
		n, err := fd.Read(e.ctx, buf)
		sb.Write(buf[:n])
		if err != nil || n == 0 {
			return sb.String(), err
		}
	}
}

func (e *env) list(v *vfs.VFS, fsctx *vfs.FSContext, path string) string {
	e.t.Helper()
	fd, err := v.OpenAt(e.ctx, fsctx, vfs.VirtualDentry{}, path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	e.must(err)
	defer fd.DecRef()
	var names []string
	e.must(fd.ReadDirents(e.ctx, func(d vfs.Dirent, _ int64) bool {
		if d.Name != "." && d.Name != ".." {
			names = append(names, d.Name)
		}
		return true
	}))
	return strings.Join(names, ",")
}

func TestReadThroughWithoutCopyUp(t *testing.T) {
	e := newEnv(t)
	if s, err := e.read(e.v, e.fsctx, "/etc/pw"); err != nil || s != "root:x:0:0\n" {
		t.Fatalf("read through symlink: %q %v", s, err)
	}
	a, err := e.v.StatAt(e.ctx, e.fsctx, vfs.VirtualDentry{}, "/etc/passwd", false)
	e.must(err)
	if a.UID != 7 || a.GID != 8 || a.Mode&0o777 != 0o644 {
		t.Fatalf("stat of lower file: %+v", a)
	}
}

func TestCopyUpLeavesLowerUntouched(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	fd, err := e.v.OpenAt(e.ctx, e.fsctx, none, "/etc/passwd", unix.O_WRONLY|unix.O_APPEND, 0)
	e.must(err)
	_, err = fd.Write(e.ctx, []byte("user:x:1000:1000\n"))
	e.must(err)
	fd.DecRef()
	if s, _ := e.read(e.v, e.fsctx, "/etc/passwd"); s != "root:x:0:0\nuser:x:1000:1000\n" {
		t.Fatalf("overlay view after append: %q", s)
	}
	if s, _ := e.read(e.lv, e.lctx, "/etc/passwd"); s != "root:x:0:0\n" {
		t.Fatalf("lower changed: %q", s)
	}
	// Metadata was copied up.
	a, err := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/passwd", false)
	e.must(err)
	if a.UID != 7 || a.GID != 8 || a.Mode&0o777 != 0o644 {
		t.Fatalf("copied-up attributes: %+v", a)
	}
	// chmod copies up too and leaves the lower mode.
	e.must(e.v.SetAttrAt(e.ctx, e.fsctx, none, "/etc/hosts", false, vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o600}))
	if s, _ := e.read(e.v, e.fsctx, "/etc/hosts"); s != "127.0.0.1 localhost\n" {
		t.Fatalf("chmod lost data: %q", s)
	}
	la, _ := e.lv.StatAt(e.ctx, e.lctx, none, "/etc/hosts", false)
	if la.Mode&0o777 != 0o644 {
		t.Fatalf("lower mode changed to %o", la.Mode)
	}
	// O_TRUNC on a lower file empties only the overlay's copy.
	fd, err = e.v.OpenAt(e.ctx, e.fsctx, none, "/etc/d/x", unix.O_WRONLY|unix.O_TRUNC, 0)
	e.must(err)
	fd.DecRef()
	if s, _ := e.read(e.v, e.fsctx, "/etc/d/x"); s != "" {
		t.Fatalf("after O_TRUNC: %q", s)
	}
	if s, _ := e.read(e.lv, e.lctx, "/etc/d/x"); s != "x" {
		t.Fatalf("lower truncated: %q", s)
	}
	// The copied-up parent kept its mode.
	da, _ := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/d", false)
	if da.Mode&0o777 != 0o700 {
		t.Fatalf("copied-up dir mode %o", da.Mode)
	}
}

func TestWhiteoutsAndMergedReaddir(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	e.write(e.v, e.fsctx, "/etc/new", "n", 0o644)
	if got := e.list(e.v, e.fsctx, "/etc"); got != "d,hosts,new,passwd,pw" {
		t.Fatalf("merged readdir: %s", got)
	}
	e.must(e.v.UnlinkAt(e.ctx, e.fsctx, none, "/etc/hosts"))
	if _, err := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/hosts", false); err != unix.ENOENT {
		t.Fatalf("whited-out file: %v", err)
	}
	if got := e.list(e.v, e.fsctx, "/etc"); got != "d,new,passwd,pw" {
		t.Fatalf("readdir after unlink: %s", got)
	}
	if _, err := e.lv.StatAt(e.ctx, e.lctx, none, "/etc/hosts", false); err != nil {
		t.Fatalf("lower file removed: %v", err)
	}
	// Unlink then create: the new file, listed once.
	e.write(e.v, e.fsctx, "/etc/hosts", "new hosts", 0o644)
	if s, _ := e.read(e.v, e.fsctx, "/etc/hosts"); s != "new hosts" {
		t.Fatalf("recreated file: %q", s)
	}
	if got := e.list(e.v, e.fsctx, "/etc"); got != "d,hosts,new,passwd,pw" {
		t.Fatalf("readdir after re-create: %s", got)
	}
	// Removing it again keeps the lower one hidden.
	e.must(e.v.UnlinkAt(e.ctx, e.fsctx, none, "/etc/hosts"))
	if _, err := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/hosts", false); err != unix.ENOENT {
		t.Fatalf("second unlink: %v", err)
	}
	if s, _ := e.read(e.lv, e.lctx, "/etc/hosts"); s != "127.0.0.1 localhost\n" {
		t.Fatalf("lower changed: %q", s)
	}
}

func TestOpaqueDirAfterRmdirMkdir(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	if err := e.v.RmdirAt(e.ctx, e.fsctx, none, "/etc/d"); err != unix.ENOTEMPTY {
		t.Fatalf("rmdir of non-empty lower dir: %v", err)
	}
	e.must(e.v.UnlinkAt(e.ctx, e.fsctx, none, "/etc/d/x"))
	e.must(e.v.RmdirAt(e.ctx, e.fsctx, none, "/etc/d"))
	e.must(e.v.MkdirAt(e.ctx, e.fsctx, none, "/etc/d", 0o755))
	if got := e.list(e.v, e.fsctx, "/etc/d"); got != "" {
		t.Fatalf("re-made dir shows %q", got)
	}
	if _, err := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/d/x", false); err != unix.ENOENT {
		t.Fatalf("lower file visible in opaque dir: %v", err)
	}
	if got := e.list(e.lv, e.lctx, "/etc/d"); got != "x" {
		t.Fatalf("lower dir changed: %q", got)
	}
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	e.must(e.v.RenameAt(e.ctx, e.fsctx, none, "/etc/passwd", none, "/passwd.bak", 0))
	if _, err := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/passwd", false); err != unix.ENOENT {
		t.Fatalf("old name after rename: %v", err)
	}
	if s, _ := e.read(e.v, e.fsctx, "/passwd.bak"); s != "root:x:0:0\n" {
		t.Fatalf("renamed content %q", s)
	}
	if s, _ := e.read(e.lv, e.lctx, "/etc/passwd"); s != "root:x:0:0\n" {
		t.Fatalf("lower changed: %q", s)
	}
	// Renaming over a lower file hides it.
	e.write(e.v, e.fsctx, "/tmpf", "replacement", 0o644)
	e.must(e.v.RenameAt(e.ctx, e.fsctx, none, "/tmpf", none, "/etc/hosts", 0))
	if s, _ := e.read(e.v, e.fsctx, "/etc/hosts"); s != "replacement" {
		t.Fatalf("after rename over lower file: %q", s)
	}
	if got := e.list(e.v, e.fsctx, "/"); got != "etc,passwd.bak" {
		t.Fatalf("root listing %s", got)
	}
	// A directory with a lower part cannot move (v1).
	if err := e.v.RenameAt(e.ctx, e.fsctx, none, "/etc/d", none, "/d2", 0); err != unix.EXDEV {
		t.Fatalf("rename of lower dir: %v", err)
	}
	// An upper-only directory can.
	e.must(e.v.MkdirAt(e.ctx, e.fsctx, none, "/new", 0o755))
	e.write(e.v, e.fsctx, "/new/f", "f", 0o644)
	e.must(e.v.RenameAt(e.ctx, e.fsctx, none, "/new", none, "/etc/new2", 0))
	if s, _ := e.read(e.v, e.fsctx, "/etc/new2/f"); s != "f" {
		t.Fatalf("moved dir content: %q", s)
	}
}

func TestLink(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	e.must(e.v.LinkAt(e.ctx, e.fsctx, none, "/etc/passwd", none, "/etc/passwd2", false))
	a1, _ := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/passwd", false)
	a2, _ := e.v.StatAt(e.ctx, e.fsctx, none, "/etc/passwd2", false)
	if a1.Ino != a2.Ino || a1.Nlink != 2 {
		t.Fatalf("hard link: ino %d/%d nlink %d", a1.Ino, a2.Ino, a1.Nlink)
	}
	e.write(e.v, e.fsctx, "/etc/passwd2", "changed", 0)
	if s, _ := e.read(e.v, e.fsctx, "/etc/passwd"); s != "changed" {
		t.Fatalf("write through link not seen: %q", s)
	}
	if _, err := e.lv.StatAt(e.ctx, e.lctx, none, "/etc/passwd2", false); err != unix.ENOENT {
		t.Fatalf("link reached lower: %v", err)
	}
}

func TestTmpfile(t *testing.T) {
	e := newEnv(t)
	none := vfs.VirtualDentry{}
	tests := []struct {
		name     string
		flags    uint32
		path     string
		openErr  error
		linkErr  error
		contents string
	}{
		{"linkable", unix.O_TMPFILE | unix.O_RDWR, "/etc/d", nil, nil, "anon"},
		{"excl", unix.O_TMPFILE | unix.O_WRONLY | unix.O_EXCL, "/etc", nil, unix.ENOENT, ""},
		{"read only", unix.O_TMPFILE | unix.O_RDONLY, "/etc", unix.EINVAL, nil, ""},
		{"with O_CREAT", unix.O_TMPFILE | unix.O_RDWR | unix.O_CREAT, "/etc", unix.EINVAL, nil, ""},
		{"not a directory", unix.O_TMPFILE | unix.O_RDWR, "/etc/passwd", unix.ENOTDIR, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fd, err := e.v.OpenAt(e.ctx, e.fsctx, none, tc.path, tc.flags, 0o600)
			if err != tc.openErr {
				t.Fatalf("open: %v, want %v", err, tc.openErr)
			}
			if err != nil {
				return
			}
			defer fd.DecRef()
			if _, err := fd.Write(e.ctx, []byte(tc.contents)); err != nil {
				t.Fatal(err)
			}
			if a, _ := fd.Stat(e.ctx); a.Nlink != 0 || a.Mode != uint32(vfs.TypeRegular)|0o600 {
				t.Fatalf("unnamed file: nlink %d mode %o", a.Nlink, a.Mode)
			}
			name := tc.path + "/linked"
			if err := e.v.LinkFrom(e.ctx, e.fsctx, *fd.VirtualDentry(), none, name); err != tc.linkErr {
				t.Fatalf("link: %v, want %v", err, tc.linkErr)
			}
			if tc.linkErr != nil {
				return
			}
			if a, _ := fd.Stat(e.ctx); a.Nlink != 1 {
				t.Fatalf("nlink after link %d", a.Nlink)
			}
			if s, _ := e.read(e.v, e.fsctx, name); s != tc.contents {
				t.Fatalf("linked contents %q", s)
			}
			// Linked once, it is an ordinary file: unlinked, it stays
			// unlinked.
			e.must(e.v.UnlinkAt(e.ctx, e.fsctx, none, name))
			if err := e.v.LinkFrom(e.ctx, e.fsctx, *fd.VirtualDentry(), none, name); err != unix.ENOENT {
				t.Fatalf("relink after unlink: %v", err)
			}
		})
	}
}
