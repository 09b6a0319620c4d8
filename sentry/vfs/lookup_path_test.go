package vfs_test

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs/vfstest"
)

// fresh returns a fixture over f's file systems in a new VFS (an empty
// dentry cache) whose root is seen through a walker.
func (f *fixture) fresh(ctx *vfstest.Ctx) (*fixture, *vfstest.Calls) {
	f.t.Helper()
	w := vfstest.NewWalker(f.root)
	c := w.C
	v := vfs.New()
	g := &fixture{t: f.t, ctx: ctx, v: v, root: w, mnt: f.mnt}
	root := v.MountRoot(g.root)
	g.fsctx = vfs.NewFSContext(root)
	root.DecRef()
	g.must(v.Mount(vfstest.Root(), g.fsctx, "/mnt", g.mnt, false))
	c.Take()
	return g, c
}

// TestResolveAhead runs every resolution of TestResolve from an empty
// dentry cache over a PathWalker: walking ahead changes no result.
func TestResolveAhead(t *testing.T) {
	f := newFixture(t)
	for _, tc := range resolveCases(f) {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := f.fresh(f.ctx)
			tc.check(t, g)
			tc.check(t, g) // and again from the cache
		})
	}
}

// TestLookupAheadCalls checks what a resolution asks a PathWalker: the
// whole uncached rest of the path in one call, nothing when cached, and a
// failure seen ahead not asked again.
func TestLookupAheadCalls(t *testing.T) {
	f := newFixture(t)
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b/c", 0o755))
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b/c/d", 0o755))
	f.writeFile("/a/b/c/d/e", "deep")
	for _, tc := range []struct {
		name string
		op   func(g *fixture) error
		want [][]string // LookupPath calls
		// lookups are the single-name Lookups: of one name no walk
		// ahead is needed for.
		lookups int
	}{
		{
			name: "stat",
			op: func(g *fixture) error {
				_, err := g.v.StatAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "/a/b/c/d/e", false)
				return err
			},
			want: [][]string{{"a", "b", "c", "d", "e"}},
		},
		{
			name: "open",
			op: func(g *fixture) error {
				fd, err := g.v.OpenAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "a/b/c/d/e", unix.O_RDONLY, 0)
				if err == nil {
					fd.DecRef()
				}
				return err
			},
			want: [][]string{{"a", "b", "c", "d", "e"}},
		},
		{
			name: "stops before dotdot",
			op: func(g *fixture) error {
				_, err := g.v.StatAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "/a/b/../b/c", false)
				return err
			},
			want:    [][]string{{"a", "b"}},
			lookups: 1,
		},
		{
			name: "symlink mid-path",
			op: func(g *fixture) error {
				_, err := g.v.StatAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "/a/link/c/d", false)
				return err
			},
			want: [][]string{{"a", "link", "c", "d"}, {"b", "c", "d"}},
		},
		{
			name: "parent only",
			op: func(g *fixture) error {
				if err := g.v.MkdirAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "/a/b/c/new", 0o755); err != unix.EEXIST {
					return err
				}
				return nil
			},
			// The last name is looked up by mkdir's EEXIST check.
			want:    [][]string{{"a", "b", "c"}},
			lookups: 1,
		},
		{
			name: "missing",
			op: func(g *fixture) error {
				_, err := g.v.StatAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, "/a/b/nope/x", false)
				if err != unix.ENOENT {
					return err
				}
				return nil
			},
			want: [][]string{{"a", "b", "nope", "x"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, c := f.fresh(f.ctx)
			if err := tc.op(g); err != nil {
				t.Fatal(err)
			}
			paths, lookups := c.Take()
			if !reflect.DeepEqual(paths, tc.want) || lookups != tc.lookups {
				t.Errorf("asked LookupPath %q and %d Lookups, want %q and %d", paths, lookups, tc.want, tc.lookups)
			}
			if err := tc.op(g); err != nil {
				t.Fatal(err)
			}
			// Only a missing name is asked again (no negative dentries).
			if paths, lookups := c.Take(); len(paths)+lookups > 0 && tc.name != "missing" {
				t.Errorf("again from the cache: asked LookupPath %q and %d Lookups, want nothing", paths, lookups)
			}
		})
	}
}

// TestLookupAheadPermissions checks that walking ahead does not skip the
// search permission of each directory.
func TestLookupAheadPermissions(t *testing.T) {
	f := newFixture(t)
	f.must(f.v.MkdirAt(f.ctx, f.fsctx, vfs.VirtualDentry{}, "/a/b/locked", 0o700))
	f.writeFile("/a/b/locked/f", "secret")
	g, c := f.fresh(vfstest.NewCtx(1000, 1000))
	for _, path := range []string{"/a/b/locked/f", "/a/b/locked/nope"} {
		if _, err := g.v.StatAt(g.ctx, g.fsctx, vfs.VirtualDentry{}, path, false); err != unix.EACCES {
			t.Errorf("StatAt(%q) as uid 1000 = %v, want EACCES", path, err)
		}
	}
	if paths, _ := c.Take(); len(paths) == 0 {
		t.Errorf("no LookupPath made: the test does not test walking ahead")
	}
}
