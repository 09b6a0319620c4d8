package gofertest

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

func testReadOnly(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "d/", "d/file", "link -> d")
	before := sortedNames(filepath.Join(dir, "d"))
	c := Start(t, serve, dir, true)
	d := c.Last(t, "d")
	f := c.Last(t, "d", "file")
	fd, err := c.C.Open(f, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open(O_RDONLY) in read-only mode: %v", err)
	}
	if got := ReadFD(t, fd); got != "file" {
		t.Errorf("read %q, want %q", got, "file")
	}
	mutations := map[string]func() error{
		"Open(O_WRONLY)": func() error { _, err := c.C.Open(f, unix.O_WRONLY); return err },
		"Open(O_TRUNC)":  func() error { _, err := c.C.Open(f, unix.O_RDONLY|unix.O_TRUNC); return err },
		"Create": func() error {
			_, _, _, err := c.C.Create(d, "new", unix.O_RDWR, 0o644, 0, 0)
			return err
		},
		"Mkdir":   func() error { _, _, err := c.C.Mkdir(d, "new", 0o755, 0, 0); return err },
		"Mknod":   func() error { _, _, err := c.C.Mknod(d, "new", unix.S_IFIFO|0o644, 0, 0, 0); return err },
		"Symlink": func() error { _, _, err := c.C.Symlink(d, "new", "x", 0, 0); return err },
		"Link":    func() error { return c.C.Link(d, "new", f) },
		"Unlink":  func() error { return c.C.Unlink(d, "file", 0) },
		"Rmdir":   func() error { return c.C.Unlink(c.Root, "d", proto.UnlinkRemoveDir) },
		"Rename":  func() error { return c.C.Rename(d, "file", d, "new") },
		"SetAttr(mode)": func() error {
			_, err := c.C.SetAttr(f, proto.SetAttr{Mask: proto.SetAttrMode, Mode: 0o600})
			return err
		},
		"SetAttr(size)": func() error {
			_, err := c.C.SetAttr(f, proto.SetAttr{Mask: proto.SetAttrSize})
			return err
		},
	}
	for name, fn := range mutations {
		if err := fn(); err != unix.EROFS {
			t.Errorf("%s in read-only mode = %v, want EROFS", name, err)
		}
	}
	if after := sortedNames(filepath.Join(dir, "d")); !reflect.DeepEqual(before, after) {
		t.Errorf("read-only tree changed: %q -> %q", before, after)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "d/file")); string(b) != "file" {
		t.Errorf("file changed to %q", b)
	}
}

func testCreateEntries(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "d/")
	c := Start(t, serve, dir, false)
	d := c.Last(t, "d")

	fid, a, fd, err := c.C.Create(d, "f", unix.O_RDWR, 0o640, 0, 0)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := unix.Pwrite(fd, []byte("data"), 0); err != nil {
		t.Errorf("write to created file: %v", err)
	}
	unix.Close(fd)
	if b, _ := os.ReadFile(filepath.Join(dir, "d/f")); string(b) != "data" {
		t.Errorf("created file holds %q", b)
	}
	if a.Mode != unix.S_IFREG|0o640 {
		t.Errorf("created mode %#o, want %#o (no umask applied by the gofer)", a.Mode, unix.S_IFREG|0o640)
	}
	if st, err := c.C.Stat(fid); err != nil || st.Size != 4 {
		t.Errorf("Stat(created) = size %d, %v", st.Size, err)
	}
	if _, _, _, err := c.C.Create(d, "f", unix.O_RDWR, 0o644, 0, 0); err != unix.EEXIST {
		t.Errorf("Create(existing) = %v, want EEXIST", err)
	}

	_, a, err = c.C.Mkdir(d, "sub", 0o750, 0, 0)
	if err != nil || a.Mode != unix.S_IFDIR|0o750 {
		t.Errorf("Mkdir = mode %#o, %v", a.Mode, err)
	}
	_, a, err = c.C.Mknod(d, "fifo", unix.S_IFIFO|0o600, 0, 0, 0)
	if err != nil || a.Mode != unix.S_IFIFO|0o600 {
		t.Errorf("Mknod(FIFO) = mode %#o, %v", a.Mode, err)
	}
	if _, _, err := c.C.Mknod(d, "chr", unix.S_IFCHR|0o600, 0x103, 0, 0); err != unix.EPERM {
		t.Errorf("Mknod(char device) = %v, want EPERM", err)
	}
	sfid, a, err := c.C.Symlink(d, "sl", "../target", 0, 0)
	if err != nil || typeOf(a) != unix.S_IFLNK {
		t.Fatalf("Symlink = %#o, %v", a.Mode, err)
	}
	if got, _ := os.Readlink(filepath.Join(dir, "d/sl")); got != "../target" {
		t.Errorf("host symlink target %q", got)
	}
	if got, _ := c.C.Readlink(sfid); got != "../target" {
		t.Errorf("Readlink(new symlink) = %q", got)
	}

	if os.Geteuid() == 0 {
		_, a, fd, err := c.C.Create(d, "owned", unix.O_RDONLY, 0o644, 1234, 5678)
		if err != nil {
			t.Fatalf("Create(uid 1234): %v", err)
		}
		unix.Close(fd)
		var st unix.Stat_t
		unix.Stat(filepath.Join(dir, "d/owned"), &st)
		if st.Uid != 1234 || st.Gid != 5678 || a.UID != 1234 {
			t.Errorf("created owner %d:%d (attr %d), want 1234:5678", st.Uid, st.Gid, a.UID)
		}
		_, _, err = c.C.Mkdir(d, "owneddir", 0o755, 1234, 5678)
		unix.Stat(filepath.Join(dir, "d/owneddir"), &st)
		if err != nil || st.Uid != 1234 || st.Gid != 5678 {
			t.Errorf("Mkdir owner %d:%d, %v; want 1234:5678", st.Uid, st.Gid, err)
		}
	}
}

func testLinkUnlinkRename(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "d/", "d/file", "e/", "e/victim", "e/sub/")
	c := Start(t, serve, dir, false)
	d := c.Last(t, "d")
	e := c.Last(t, "e")
	f := c.Last(t, "d", "file")

	if err := c.C.Link(e, "hard", f); err != nil {
		t.Fatalf("Link: %v", err)
	}
	if a, _ := c.C.Stat(f); a.Nlink != 2 {
		t.Errorf("nlink after Link = %d, want 2", a.Nlink)
	}
	if err := c.C.Link(e, "dirlink", e); err != unix.EPERM {
		t.Errorf("Link(directory) = %v, want EPERM", err)
	}

	// Rename d/file over e/victim; the old FID must still open the file.
	if err := c.C.Rename(d, "file", e, "victim"); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "e/victim")); string(b) != "file" {
		t.Errorf("e/victim holds %q after rename", b)
	}
	fd, err := c.C.Open(f, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("Open(FID of renamed file): %v", err)
	}
	if got := ReadFD(t, fd); got != "file" {
		t.Errorf("renamed file reads %q", got)
	}

	if err := c.C.Unlink(e, "hard", 0); err != nil {
		t.Errorf("Unlink: %v", err)
	}
	if err := c.C.Unlink(e, "sub", 0); err != unix.EISDIR {
		t.Errorf("Unlink(directory) = %v, want EISDIR", err)
	}
	if err := c.C.Unlink(e, "victim", proto.UnlinkRemoveDir); err != unix.ENOTDIR {
		t.Errorf("Rmdir(file) = %v, want ENOTDIR", err)
	}
	if err := c.C.Unlink(e, "sub", proto.UnlinkRemoveDir); err != nil {
		t.Errorf("Rmdir: %v", err)
	}
	if err := c.C.Unlink(c.Root, "e", proto.UnlinkRemoveDir); err != unix.ENOTEMPTY {
		t.Errorf("Rmdir(non-empty) = %v, want ENOTEMPTY", err)
	}
	if err := c.C.Unlink(e, "victim", 0); err != nil {
		t.Errorf("Unlink(renamed): %v", err)
	}
	if got := sortedNames(filepath.Join(dir, "e")); len(got) != 0 {
		t.Errorf("e holds %q, want nothing", got)
	}
	if _, err := c.C.Open(f, unix.O_RDONLY); err != unix.ESTALE {
		t.Errorf("Open(FID of unlinked file) = %v, want ESTALE", err)
	}
	if a, err := c.C.Stat(f); err != nil || a.Nlink != 0 {
		t.Errorf("Stat(FID of unlinked file) = nlink %d, %v; want 0", a.Nlink, err)
	}
}

func testSetAttr(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "file", "d/", "link -> file")
	c := Start(t, serve, dir, false)
	f := c.Last(t, "file")
	after, err := c.C.SetAttr(f, proto.SetAttr{
		Mask:  proto.SetAttrMode | proto.SetAttrSize | proto.SetAttrAtime | proto.SetAttrMtime,
		Mode:  0o4600,
		Size:  10,
		Atime: proto.Timespec{Sec: 1000, Nsec: 5},
		Mtime: proto.Timespec{Sec: 2000, Nsec: 7},
	})
	if err != nil {
		t.Fatalf("SetAttr: %v", err)
	}
	var st unix.Stat_t
	unix.Stat(filepath.Join(dir, "file"), &st)
	if st.Mode != unix.S_IFREG|0o4600 || st.Size != 10 || st.Atim.Sec != 1000 || st.Mtim.Sec != 2000 || st.Mtim.Nsec != 7 {
		t.Errorf("after SetAttr host has mode %#o size %d atime %d mtime %d.%d", st.Mode, st.Size, st.Atim.Sec, st.Mtim.Sec, st.Mtim.Nsec)
	}
	a, _ := c.C.Stat(f)
	if a.Size != 10 || a.Mode != st.Mode {
		t.Errorf("Stat after SetAttr = %+v", a)
	}
	if after != a {
		t.Errorf("SetAttr answered %+v, Stat says %+v", after, a)
	}
	d := c.Last(t, "d")
	if _, err := c.C.SetAttr(d, proto.SetAttr{Mask: proto.SetAttrMode | proto.SetAttrMtime, Mode: 0o700, Mtime: proto.Timespec{Sec: 3000}}); err != nil {
		t.Errorf("SetAttr(dir): %v", err)
	}
	unix.Stat(filepath.Join(dir, "d"), &st)
	if st.Mode != unix.S_IFDIR|0o700 || st.Mtim.Sec != 3000 {
		t.Errorf("dir after SetAttr: mode %#o mtime %d", st.Mode, st.Mtim.Sec)
	}
	if _, err := c.C.SetAttr(d, proto.SetAttr{Mask: proto.SetAttrSize}); err != unix.EISDIR {
		t.Errorf("SetAttr(size) on dir = %v, want EISDIR", err)
	}
	bad := []proto.SetAttr{
		{Mask: 1 << 20},
		{Mask: proto.SetAttrSize, Size: -1},
		{Mask: proto.SetAttrAtime, Atime: proto.Timespec{Nsec: 2e9}},
	}
	for _, sa := range bad {
		if _, err := c.C.SetAttr(f, sa); err != unix.EINVAL {
			t.Errorf("SetAttr(%+v) = %v, want EINVAL", sa, err)
		}
	}
	// Times on a symlink change the link, not its target.
	l := c.Last(t, "link")
	if _, err := c.C.SetAttr(l, proto.SetAttr{Mask: proto.SetAttrMtime, Mtime: proto.Timespec{Sec: 4000}}); err != nil {
		t.Errorf("SetAttr(mtime) on symlink: %v", err)
	}
	unix.Stat(filepath.Join(dir, "file"), &st)
	if st.Mtim.Sec != 2000 {
		t.Errorf("symlink SetAttr changed its target's mtime to %d", st.Mtim.Sec)
	}
	if os.Geteuid() == 0 {
		if _, err := c.C.SetAttr(f, proto.SetAttr{Mask: proto.SetAttrUID | proto.SetAttrGID, UID: 42, GID: 43}); err != nil {
			t.Errorf("SetAttr(uid/gid): %v", err)
		}
		unix.Stat(filepath.Join(dir, "file"), &st)
		if st.Uid != 42 || st.Gid != 43 {
			t.Errorf("owner %d:%d, want 42:43", st.Uid, st.Gid)
		}
	}
}

func testMalformed(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "file")
	c := Start(t, serve, dir, false)
	var e proto.Encoder
	msg := func(op proto.Op, fields ...any) []byte {
		e.Reset(op, 0)
		for _, f := range fields {
			switch v := f.(type) {
			case uint16:
				e.U16(v)
			case uint32:
				e.U32(v)
			case uint64:
				e.U64(v)
			case string:
				e.Str(v)
			case []byte:
				for _, b := range v {
					e.U8(b)
				}
			}
		}
		return append([]byte(nil), e.Bytes()...)
	}
	root := uint64(c.Root)
	tests := []struct {
		name string
		msg  []byte
		want unix.Errno
	}{
		{"one byte", []byte{1}, unix.EINVAL},
		{"truncated walk", msg(proto.OpWalk, root, uint16(1), uint32(4), []byte("fi")), unix.EINVAL},
		{"huge string length", msg(proto.OpWalk, root, uint16(1), uint32(0xffffffff)), unix.EINVAL},
		{"huge count", msg(proto.OpWalk, root, uint16(0xffff), "file"), unix.EINVAL},
		{"zero count", msg(proto.OpWalk, root, uint16(0)), unix.EINVAL},
		{"trailing bytes", msg(proto.OpStat, root, uint32(7)), unix.EINVAL},
		{"huge close count", msg(proto.OpClose, uint16(0xffff)), unix.EINVAL},
		{"huge symlink target", msg(proto.OpSymlink, root, "s", uint32(1<<30)), unix.EINVAL},
		{"unknown op", msg(999, root), unix.ENOSYS},
		{"error op from client", msg(proto.OpError, uint32(5)), unix.ENOSYS},
		{"bad version", msg(proto.OpAttach, uint32(77)), unix.EINVAL},
		{"oversize packet", make([]byte, proto.MaxMessageSize+100), unix.EINVAL},
		{"bad open mode", msg(proto.OpOpen, root, uint32(unix.O_ACCMODE)), unix.EINVAL},
		{"bad unlink flags", msg(proto.OpUnlink, root, "file", uint32(1)), unix.EINVAL},
	}
	for _, tc := range tests {
		op, errno := c.RawCall(t, tc.msg, -1)
		if op != proto.OpError || errno != tc.want {
			t.Errorf("%s: response %v errno %v, want error %v", tc.name, op, errno, tc.want)
		}
	}
	// A client sending an FD gets EINVAL (and the FD is not kept).
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	if op, errno := c.RawCall(t, msg(proto.OpStat, root), int(w.Fd())); op != proto.OpError || errno != unix.EINVAL {
		t.Errorf("request with FD: %v %v, want EINVAL", op, errno)
	}
	// The server still works.
	if _, err := c.C.Stat(c.Last(t, "file")); err != nil {
		t.Errorf("Stat after malformed requests: %v", err)
	}
}

func testNoFDLeak(t *testing.T, serve ServeFunc) {
	dir := t.TempDir()
	Tree(t, dir, "a/", "a/b/", "a/b/f", "a/l -> b")
	before := CountFDs(t)
	c := Start(t, serve, dir, false)
	// Leave FIDs of every kind open, with Getdents directory FDs.
	c.Walk(t, "a", "b", "f")
	c.Walk(t, "a", "l")
	c.C.Getdents(c.Last(t, "a"), 0)
	c.C.Walk(c.Root, []string{"a", "missing"})
	fid, _, fd, err := c.C.Create(c.Last(t, "a"), "new", unix.O_RDWR, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	c.C.Rename(c.Last(t, "a"), "new", c.Last(t, "a", "b"), "f") // detaches f's FID
	c.C.Unlink(c.Last(t, "a", "b"), "f", 0)
	_ = fid
	fd, err = c.C.Open(c.Last(t, "a", "b"), unix.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	c.Shutdown(t)
	if after := CountFDs(t); after != before {
		t.Errorf("%d FDs open before serving, %d after Serve returned", before, after)
	}
}
