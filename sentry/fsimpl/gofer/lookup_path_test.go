package gofer_test

import (
	"strings"
	"testing"

	"github.com/cocoon-sandbox/cocoon/fsgofer/gofertest"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// TestLookupPath checks the multi-component walk: what it returns, and
// that it costs one round trip for all that is not cached.
func TestLookupPath(t *testing.T) {
	dir := t.TempDir()
	deep := strings.Repeat("d/", proto.MaxWalkNames+2)
	gofertest.Tree(t, dir, "a/b/c/file", "a/b/link -> c", "a/b/c/flink -> file", deep)
	root := mount(t, dir, false)
	pw := root.(vfs.PathWalker)
	for _, tc := range []struct {
		name    string
		names   []string
		found   int // inodes returned
		wantErr error
		trips   uint64
		lastTyp vfs.FileType
	}{
		{name: "whole path", names: []string{"a", "b", "c", "file"}, found: 4, trips: 1, lastTyp: vfs.TypeRegular},
		{name: "cached", names: []string{"a", "b", "c", "file"}, found: 4, trips: 0, lastTyp: vfs.TypeRegular},
		{name: "cached prefix", names: []string{"a", "b", "c", "flink"}, found: 4, trips: 1, lastTyp: vfs.TypeSymlink},
		{name: "stops at symlink", names: []string{"a", "b", "link", "file"}, found: 3, trips: 1, lastTyp: vfs.TypeSymlink},
		{name: "stops at file", names: []string{"a", "b", "c", "file", "x"}, found: 4, trips: 0, lastTyp: vfs.TypeRegular},
		{name: "missing first", names: []string{"nope", "x"}, found: 0, wantErr: unix.ENOENT, trips: 1},
		{name: "missing middle", names: []string{"a", "b", "nope", "x"}, found: 2, wantErr: unix.ENOENT, trips: 1, lastTyp: vfs.TypeDirectory},
		{name: "past one message", names: strings.Split(strings.TrimSuffix(deep, "/"), "/"), found: proto.MaxWalkNames, trips: 1, lastTyp: vfs.TypeDirectory},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := roundTrips(root)
			ins, err := pw.LookupPath(ctx, tc.names)
			if trips := roundTrips(root) - before; trips != tc.trips {
				t.Errorf("took %d round trips, want %d", trips, tc.trips)
			}
			if err != tc.wantErr || len(ins) != tc.found {
				t.Fatalf("LookupPath(%q) = %d inodes, %v; want %d, %v", tc.names, len(ins), err, tc.found, tc.wantErr)
			}
			if len(ins) == 0 {
				return
			}
			if ft := ins[len(ins)-1].(vfs.FileTyper).FileType(); ft != tc.lastTyp {
				t.Errorf("last inode type %#o, want %#o", ft, tc.lastTyp)
			}
			// The single-name path agrees and is cached.
			before = roundTrips(root)
			if in := walk(t, root, tc.names[:len(ins)]...); in != ins[len(ins)-1] {
				t.Errorf("Lookup one by one gave another Inode")
			}
			if trips := roundTrips(root) - before; trips != 0 {
				t.Errorf("Lookup one by one after LookupPath took %d round trips", trips)
			}
		})
	}
	if _, err := walk(t, root, "a", "b", "c", "file").(vfs.PathWalker).LookupPath(ctx, []string{"x"}); err != unix.ENOTDIR {
		t.Errorf("LookupPath from a file = %v, want ENOTDIR", err)
	}
}
