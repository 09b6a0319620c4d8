package gofer_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/gofertest"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/gofer"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// roundTrips returns the round trips made so far on root's connection.
func roundTrips(root vfs.Inode) uint64 {
	c := root.(*gofer.Inode).RoundTrips()
	return c.Total()
}

// hostAttr is what lstat(2) says of path, as a vfs.Attr.
func hostAttr(t *testing.T, path string) vfs.Attr {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return vfs.Attr{
		Mode: st.Mode, Ino: st.Ino, Dev: st.Dev, Nlink: st.Nlink, UID: st.Uid, GID: st.Gid,
		Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atime: vfs.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime: vfs.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime: vfs.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
}

// TestAttrCache checks that with exclusive access Stat answers from the
// attributes the walk brought (no round trip) and stays right across the
// sentry's own changes, and that with shared access every Stat asks.
func TestAttrCache(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shared bool
		// statTrips is the cost of a Stat that nothing invalidated.
		statTrips uint64
	}{
		{"exclusive", false, 0},
		{"shared", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			gofertest.Tree(t, dir, "d/f")
			root := mountWith(t, dir, false, gofer.Options{Shared: tc.shared})
			d := walk(t, root, "d")
			f := walk(t, d, "f")
			fpath, dpath := filepath.Join(dir, "d/f"), filepath.Join(dir, "d")

			// check stats ino and compares with the host, within
			// trips round trips.
			check := func(what string, ino vfs.Inode, path string, trips uint64) {
				t.Helper()
				before := roundTrips(root)
				a, err := ino.Stat(ctx)
				if got := roundTrips(root) - before; got > trips {
					t.Errorf("%s: Stat took %d round trips, want <= %d", what, got, trips)
				}
				if err != nil {
					t.Fatalf("%s: Stat: %v", what, err)
				}
				// atime moves with the host's reads, not ours.
				want := hostAttr(t, path)
				a.Atime, want.Atime = vfs.Timespec{}, vfs.Timespec{}
				if a != want {
					t.Errorf("%s: Stat = %+v\nhost says  %+v", what, a, want)
				}
			}
			check("walked file", f, fpath, tc.statTrips)
			check("walked file again", f, fpath, tc.statTrips)

			// Writes through an open file: its host FD answers.
			fl, err := f.Open(ctx, unix.O_RDWR)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fl.Write(ctx, []byte("longer content"), 0); err != nil {
				t.Fatal(err)
			}
			check("file being written", f, fpath, tc.statTrips)
			if _, err := fl.Write(ctx, []byte("!"), 100); err != nil {
				t.Fatal(err)
			}
			fl.Release()
			check("file written and closed", f, fpath, tc.statTrips)

			// Changes through the Inode: the next Stat may ask once.
			if err := f.SetAttr(ctx, vfs.SetAttr{Mask: vfs.SetMode | vfs.SetSize, Mode: 0o600, Size: 3}); err != nil {
				t.Fatal(err)
			}
			// The SetAttr reply carries the new attributes.
			check("after SetAttr", f, fpath, tc.statTrips)
			fl, err = f.Open(ctx, unix.O_WRONLY|unix.O_TRUNC)
			if err != nil {
				t.Fatal(err)
			}
			fl.Release()
			check("after O_TRUNC", f, fpath, 1)

			// Entries made and removed change the directory (mtime,
			// nlink) and the linked file (nlink).
			check("directory", d, dpath, tc.statTrips)
			if _, err := d.Mkdir(ctx, "sub", 0o755); err != nil {
				t.Fatal(err)
			}
			check("directory after Mkdir", d, dpath, 1)
			if err := d.Link(ctx, "hard", f); err != nil {
				t.Fatal(err)
			}
			check("file after Link", f, fpath, 1)
			if err := d.Rename(ctx, "hard", d, "hard2"); err != nil {
				t.Fatal(err)
			}
			check("directory after Rename", d, dpath, 1)
			if err := d.Unlink(ctx, "hard2"); err != nil {
				t.Fatal(err)
			}
			check("file after Unlink of its other link", f, fpath, 1)
			if err := d.Rmdir(ctx, "sub"); err != nil {
				t.Fatal(err)
			}
			check("directory after Rmdir", d, dpath, 1)
		})
	}
}

// TestAttrCacheNotShared documents the exclusive-access assumption: a
// change made on the host behind the sandbox is not seen, except with
// shared access.
func TestAttrCacheNotShared(t *testing.T) {
	for _, shared := range []bool{false, true} {
		dir := t.TempDir()
		gofertest.Tree(t, dir, "f")
		root := mountWith(t, dir, false, gofer.Options{Shared: shared})
		f := walk(t, root, "f")
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte("changed on the host"), 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := f.Stat(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen := a.Size != int64(len("f")); seen != shared {
			t.Errorf("shared=%v: host change seen = %v (size %d)", shared, seen, a.Size)
		}
	}
}

// TestAttrCacheHardLinks checks that a write through one name of a file
// with two links shows in a Stat through the other.
func TestAttrCacheHardLinks(t *testing.T) {
	dir := t.TempDir()
	gofertest.Tree(t, dir, "a")
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	root := mount(t, dir, false)
	a, b := walk(t, root, "a"), walk(t, root, "b")
	fl, err := a.Open(ctx, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Write(ctx, []byte("written through a"), 0); err != nil {
		t.Fatal(err)
	}
	fl.Release()
	if attr, err := b.Stat(ctx); err != nil || attr.Size != int64(len("written through a")) {
		t.Errorf("Stat through the other link = size %d, %v; want %d", attr.Size, err, len("written through a"))
	}
}
