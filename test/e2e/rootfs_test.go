package e2e

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestRootReadonly runs a bundle with root.readonly, as runc applies it:
// writes to the root fail, mounts on it (even one whose mount point had
// to be made) stay writable, and /proc/self/mounts shows the root "ro".
func TestRootReadonly(t *testing.T) {
	needSetup(t)
	opts := testutil.BundleOptions{
		Args: []string{"/bin/sh", "-c", `
touch /new 2>/dev/null && echo WROTE-ROOT || echo root refused
mkdir /etc/d 2>/dev/null && echo MKDIR-ROOT || echo mkdir refused
echo x > /tmp/f && cat /tmp/f
echo y > /made/here/f && cat /made/here/f
grep ' / ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1`},
		Mounts: []specs.Mount{{Destination: "/made/here", Type: "tmpfs", Source: "tmpfs"}},
	}
	r, _ := runEditedBundle(t, opts, func(spec *specs.Spec) { spec.Root.Readonly = true })
	wantExit(t, r, 0)
	if want := "root refused\nmkdir refused\nx\ny\nro\n"; r.Stdout != want {
		t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
	}
}

// TestLinuxDevices creates linux.devices as runc does: each node with its
// type, numbers, permissions (the umask does not apply) and owner, in
// directories made for it.
func TestLinuxDevices(t *testing.T) {
	needSetup(t)
	opts := testutil.BundleOptions{Args: []string{"/bin/sh", "-c",
		`for f in /dev/fuse /dev/sub/loop0 /dev/pipe; do stat -c '%n %F %t,%T %a %u:%g' $f; done`}}
	mode := func(m os.FileMode) *os.FileMode { return &m }
	id := func(n uint32) *uint32 { return &n }
	r, _ := runEditedBundle(t, opts, func(spec *specs.Spec) {
		spec.Linux.Devices = []specs.LinuxDevice{
			{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: mode(0o620), UID: id(1000), GID: id(5)},
			{Path: "/dev/sub/loop0", Type: "b", Major: 7, Minor: 0, FileMode: mode(0o600)},
			{Path: "/dev/pipe", Type: "p", FileMode: mode(0o777)},
		}
	})
	wantExit(t, r, 0)
	want := "/dev/fuse character special file a,e5 620 1000:5\n" +
		"/dev/sub/loop0 block special file 7,0 600 0:0\n" +
		"/dev/pipe fifo 0,0 777 0:0\n"
	if r.Stdout != want {
		t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
	}
}
