package overlay_test

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/overlay"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// tree makes dirs and files (name -> content) in a new tmpfs.
func tree(t *testing.T, dirs []string, files map[string]string) vfs.Inode {
	t.Helper()
	ctx := vfstest.Root()
	root := tmpfs.New(0o755)
	v := vfs.New()
	vd := v.MountRoot(root)
	fsctx := vfs.NewFSContext(vd)
	vd.DecRef()
	for _, d := range dirs {
		if err := v.MkdirAt(ctx, fsctx, vfs.VirtualDentry{}, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		fd, err := v.OpenAt(ctx, fsctx, vfs.VirtualDentry{}, name, unix.O_WRONLY|unix.O_CREAT, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fd.Write(ctx, []byte(data))
		fd.DecRef()
	}
	return root
}

// TestLookupPath checks that the overlay passes a multi-component lookup
// to its lower layer in one call, merging the upper layer as Lookup does.
func TestLookupPath(t *testing.T) {
	ctx := vfstest.Root()
	for _, tc := range []struct {
		name      string
		names     []string
		types     []vfs.FileType // of the inodes returned
		wantErr   error
		lowerAsks [][]string
	}{
		{
			name:      "lower only",
			names:     []string{"l", "m", "f"},
			types:     []vfs.FileType{vfs.TypeDirectory, vfs.TypeDirectory, vfs.TypeRegular},
			lowerAsks: [][]string{{"l", "m", "f"}},
		},
		{
			name:      "merged directory",
			names:     []string{"both", "m", "f"},
			types:     []vfs.FileType{vfs.TypeDirectory, vfs.TypeDirectory, vfs.TypeRegular},
			lowerAsks: [][]string{{"both", "m", "f"}},
		},
		{
			name:      "upper only below a merged directory",
			names:     []string{"both", "u"},
			types:     []vfs.FileType{vfs.TypeDirectory, vfs.TypeRegular},
			lowerAsks: [][]string{{"both", "u"}},
		},
		{
			name:      "upper file shadows a lower directory",
			names:     []string{"shadow", "x"},
			types:     []vfs.FileType{vfs.TypeRegular},
			lowerAsks: [][]string{{"shadow", "x"}},
		},
		{
			name:      "missing",
			names:     []string{"l", "nope", "x"},
			types:     []vfs.FileType{vfs.TypeDirectory},
			wantErr:   unix.ENOENT,
			lowerAsks: [][]string{{"l", "nope", "x"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upper := tree(t, []string{"/both"}, map[string]string{"/both/u": "u", "/shadow": "s"})
			lower := vfstest.NewWalker(tree(t,
				[]string{"/l", "/l/m", "/both", "/both/m", "/shadow"},
				map[string]string{"/l/m/f": "f", "/both/m/f": "f", "/shadow/x": "x"}))
			root := overlay.New(upper, lower)
			ins, err := root.(vfs.PathWalker).LookupPath(ctx, tc.names)
			if err != tc.wantErr || len(ins) != len(tc.types) {
				t.Fatalf("LookupPath(%q) = %d inodes, %v; want %d, %v", tc.names, len(ins), err, len(tc.types), tc.wantErr)
			}
			for k, in := range ins {
				if ft := in.(vfs.FileTyper).FileType(); ft != tc.types[k] {
					t.Errorf("inode %d type %#o, want %#o", k, ft, tc.types[k])
				}
			}
			if paths, lookups := lower.C.Take(); !reflect.DeepEqual(paths, tc.lowerAsks) || lookups != 0 {
				t.Errorf("lower layer asked LookupPath %q and %d Lookups, want %q and none", paths, lookups, tc.lowerAsks)
			}
			// Lookup one by one agrees, from the overlay's cache.
			cur := root
			for k := range ins {
				c, err := cur.Lookup(ctx, tc.names[k])
				if err != nil || c != ins[k] {
					t.Fatalf("Lookup(%q) = %v, %v; want the inode LookupPath gave", tc.names[k], c, err)
				}
				cur = c
			}
			if paths, lookups := lower.C.Take(); len(paths)+lookups != 0 {
				t.Errorf("Lookup after LookupPath asked the lower layer again: %q, %d", paths, lookups)
			}
		})
	}
}

// TestLookupPathWhiteout checks that a removed lower name stays removed
// and is not asked of the lower layer.
func TestLookupPathWhiteout(t *testing.T) {
	ctx := vfstest.Root()
	lower := vfstest.NewWalker(tree(t, []string{"/d"}, map[string]string{"/d/f": "f"}))
	root := overlay.New(tmpfs.New(0o755), lower)
	d, err := root.Lookup(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Unlink(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	lower.C.Take()
	if _, err := root.(vfs.PathWalker).LookupPath(ctx, []string{"d", "f"}); err != unix.ENOENT {
		t.Errorf("LookupPath of a removed name = %v, want ENOENT", err)
	}
	if paths, lookups := lower.C.Take(); len(paths)+lookups != 0 {
		t.Errorf("lower layer asked %q and %d Lookups for a removed name", paths, lookups)
	}
}
