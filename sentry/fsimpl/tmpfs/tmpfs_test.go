package tmpfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

func TestInodeOperations(t *testing.T) {
	ctx := vfstest.NewCtx(5, 6)
	root := NewWithOptions(Options{Mode: 0o755, MaxBytes: 1 << 20})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := root.Create(ctx, "f", 0o640)
	must(err)
	a, _ := f.Stat(ctx)
	if a.UID != 5 || a.GID != 6 || a.Mode != uint32(vfs.TypeRegular)|0o640 || a.Nlink != 1 {
		t.Fatalf("created file attrs %+v", a)
	}
	if _, err := root.Create(ctx, "f", 0o640); err != unix.EEXIST {
		t.Fatalf("create existing: %v", err)
	}
	// Sparse write fills with zeros.
	file, err := f.Open(ctx, unix.O_RDWR)
	must(err)
	if _, err := file.Write(ctx, []byte("end"), 5); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, _ := file.Read(ctx, buf, 0)
	if string(buf[:n]) != "\x00\x00\x00\x00\x00end" {
		t.Fatalf("sparse content %q", buf[:n])
	}
	// Data is limited.
	if _, err := file.Write(ctx, []byte("x"), 2<<20); err != unix.ENOSPC {
		t.Fatalf("write past limit: %v", err)
	}
	if _, err := file.Write(ctx, []byte("x"), 1<<62); err != unix.EFBIG {
		t.Fatalf("huge offset: %v", err)
	}
	// Hard links count.
	must(root.Link(ctx, "g", f))
	a, _ = f.Stat(ctx)
	if a.Nlink != 2 {
		t.Fatalf("nlink after link %d", a.Nlink)
	}
	d, err := root.Mkdir(ctx, "d", 0o755)
	must(err)
	ra, _ := root.Stat(ctx)
	if ra.Nlink != 3 {
		t.Fatalf("root nlink after mkdir %d", ra.Nlink)
	}
	_, err = d.Create(ctx, "inner", 0o644)
	must(err)
	if err := root.Rmdir(ctx, "d"); err != unix.ENOTEMPTY {
		t.Fatalf("rmdir non-empty: %v", err)
	}
	if err := root.Unlink(ctx, "d"); err != unix.EISDIR {
		t.Fatalf("unlink dir: %v", err)
	}
	// Rename over a file replaces it and drops its link.
	must(root.Rename(ctx, "g", d, "inner"))
	a, _ = f.Stat(ctx)
	if a.Nlink != 2 {
		t.Fatalf("nlink after rename of a link %d", a.Nlink)
	}
	if _, err := root.Lookup(ctx, "g"); err != unix.ENOENT {
		t.Fatalf("old name after rename: %v", err)
	}
	if err := root.Rename(ctx, "f", root, "d"); err != unix.EISDIR {
		t.Fatalf("rename file over dir: %v", err)
	}
	must(root.Unlink(ctx, "f"))
	must(d.Unlink(ctx, "inner"))
	a, _ = f.Stat(ctx)
	if a.Nlink != 0 {
		t.Fatalf("nlink after unlinks %d", a.Nlink)
	}
	// The open file still works after its last name is gone.
	n, _ = file.Read(ctx, buf, 5)
	if string(buf[:n]) != "end" {
		t.Fatalf("read of unlinked file %q", buf[:n])
	}
	must(f.SetAttr(ctx, vfs.SetAttr{Mask: vfs.SetSize, Size: 2}))
	a, _ = f.Stat(ctx)
	if a.Size != 2 {
		t.Fatalf("size after truncate %d", a.Size)
	}
	must(root.Rmdir(ctx, "d"))
	if _, err := d.Create(ctx, "x", 0o644); err != unix.ENOENT {
		t.Fatalf("create in removed dir: %v", err)
	}
	s, err := root.Symlink(ctx, "l", "target")
	must(err)
	if got, _ := s.Readlink(ctx); got != "target" {
		t.Fatalf("readlink %q", got)
	}
	ents, _ := root.Readdir(ctx)
	if len(ents) != 1 || ents[0].Name != "l" || ents[0].Type != vfs.TypeSymlink {
		t.Fatalf("readdir %+v", ents)
	}
}
