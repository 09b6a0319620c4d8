package e2e

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestRootReadonly runs a bundle with root.readonly, as runc applies it:
// writes to the root fail, mounts on it (even one whose mount point had
// to be made) stay writable, and /proc/self/mounts shows the root "ro".
func TestRootReadonly(t *testing.T) {
	needSetup(t)
	bundle := t.TempDir()
	opts := testutil.BundleOptions{
		Args: []string{"/bin/sh", "-c", `
touch /new 2>/dev/null && echo WROTE-ROOT || echo root refused
mkdir /etc/d 2>/dev/null && echo MKDIR-ROOT || echo mkdir refused
echo x > /tmp/f && cat /tmp/f
echo y > /made/here/f && cat /made/here/f
grep ' / ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1`},
		Mounts: []specs.Mount{{Destination: "/made/here", Type: "tmpfs", Source: "tmpfs"}},
	}
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	spec, err := testutil.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	spec.Root.Readonly = true
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	r := runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1")
	noFilesUnder(t, root)
	wantExit(t, r, 0)
	if want := "root refused\nmkdir refused\nx\ny\nro\n"; r.Stdout != want {
		t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
	}
}
