package e2e

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestProcMountinfo checks /proc/self/mountinfo's shape in the sandbox:
// what runtimes' validators and container tools parse (moby's mountinfo,
// runtime-tools' runtimetest). Each line is "ID PARENT MAJ:MIN ROOT
// MOUNTPOINT OPTIONS - FSTYPE SOURCE SUPEROPTIONS", IDs are unique, the
// root comes first and /proc is a proc mount whose parent is the root.
func TestProcMountinfo(t *testing.T) {
	needSetup(t)
	r := runRunsc(t, "do", "/bin/busybox", "cat", "/proc/self/mountinfo")
	wantExit(t, r, 0)
	ids := map[string]bool{}
	byPoint := map[string][]string{}
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	for _, line := range lines {
		f := strings.Fields(line)
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if len(f) < 10 || sep != 6 || len(f) != sep+4 || !strings.Contains(f[2], ":") || f[3] != "/" {
			t.Errorf("malformed mountinfo line %q", line)
			continue
		}
		if ids[f[0]] {
			t.Errorf("mount ID %s repeats: %q", f[0], line)
		}
		ids[f[0]] = true
		byPoint[f[4]] = f
	}
	root, proc := byPoint["/"], byPoint["/proc"]
	if root == nil || strings.Fields(lines[0])[4] != "/" {
		t.Fatalf("the root is not the first mount:\n%s", r.Stdout)
	}
	if proc == nil || proc[7] != "proc" || proc[1] != root[0] {
		t.Errorf("/proc is not a proc mount below the root:\n%s", r.Stdout)
	}
}

// TestProcMountinfoBindRoot checks that a bind mount's mountinfo line
// shows its source as the root (the fourth field), as Linux shows the
// directory a bind mount exposes: tools match bind mounts to their
// sources by it.
func TestProcMountinfoBindRoot(t *testing.T) {
	src := t.TempDir()
	needSetup(t)
	r, _ := runBundle(t, testutil.BundleOptions{
		Args:   []string{"/bin/sh", "-c", "grep ' /data ' /proc/self/mountinfo | cut -d' ' -f4,5"},
		Mounts: []specs.Mount{{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind", "ro"}}},
	})
	wantExit(t, r, 0)
	if want := src + " /data\n"; r.Stdout != want {
		t.Errorf("mountinfo root and mount point %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
	}
}
