package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// TestRuncSpec runs the config.json that `runc spec` writes, and the one
// of `runsc spec`, unchanged but for the process (no terminal, a script):
// every mount they ask for (proc, a tmpfs /dev, devpts, /dev/shm, mqueue,
// sysfs, cgroup) is there, and /dev holds working devices, takes new
// entries and links ptmx to the devpts instance's, as runc does.
func TestRuncSpec(t *testing.T) {
	needSetup(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatalf("runc is not installed (scripts/deps.sh installs it): %v", err)
	}
	for name, generator := range map[string]string{"runc": runc, "runsc": runsc} {
		t.Run(name, func(t *testing.T) { runTemplate(t, generator) })
	}
}

// runTemplate runs the config.json that `GENERATOR spec` writes.
func runTemplate(t *testing.T, generator string) {
	bundle := t.TempDir()
	if err := testutil.MakeBusyboxBundle(bundle, testutil.BundleOptions{Args: []string{"/bin/true"}}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(bundle, "config.json"))
	if out, err := exec.Command(generator, "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Root.Path != "rootfs" || !spec.Process.Terminal {
		t.Errorf("template root %+v, terminal %t; want rootfs and a terminal", spec.Root, spec.Process.Terminal)
	}
	spec.Process.Terminal = false
	spec.Process.Args = []string{"/bin/sh", "-c", `
		cut -d' ' -f2,3 /proc/self/mounts
		echo ---
		echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && echo shm > /dev/shm/f && cat /dev/shm/f
		mkdir /dev/made && echo mkdir-ok
		readlink /dev/ptmx && stat -L -c %t,%T /dev/ptmx
		echo data > /sys/x 2>/dev/null || echo sys-read-only
		exit 5`}
	if err := testutil.WriteSpec(bundle, &spec); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	r := runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1")
	noFilesUnder(t, root)
	wantExit(t, r, 5)
	mounts, rest, _ := strings.Cut(r.Stdout, "---\n")
	for _, want := range []string{"/proc proc", "/dev tmpfs", "/dev/pts devpts", "/dev/shm tmpfs", "/dev/mqueue mqueue", "/sys sysfs", "/sys/fs/cgroup cgroup"} {
		if !strings.Contains(mounts, want+"\n") {
			t.Errorf("/proc/self/mounts lacks %q:\n%s", want, mounts)
		}
	}
	if want := " 00 00 00 00\nshm\nmkdir-ok\npts/ptmx\n5,2\nsys-read-only\n"; rest != want {
		t.Errorf("device checks printed %q, want %q (stderr %q)", rest, want, r.Stderr)
	}
}
