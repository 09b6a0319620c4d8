package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/cocoon-sandbox/cocoon/test/testutil"
)

// runBundle builds a busybox bundle with opts, runs it with
// `runsc --root R run --bundle B c1`, and checks that R holds nothing
// afterwards.
func runBundle(t *testing.T, opts testutil.BundleOptions) (*testutil.Result, string) {
	t.Helper()
	return runEditedBundle(t, opts, nil)
}

// runEditedBundle is runBundle with the bundle's spec changed by edit
// first (if not nil): for the fields BundleOptions does not have.
func runEditedBundle(t *testing.T, opts testutil.BundleOptions, edit func(*specs.Spec)) (*testutil.Result, string) {
	t.Helper()
	bundle := makeEditedBundle(t, opts, edit)
	root := t.TempDir()
	r := runRunsc(t, "--root", root, "run", "--bundle", bundle, "c1")
	noFilesUnder(t, root)
	return r, bundle
}

// makeEditedBundle builds a busybox bundle with opts in a temporary
// directory, changes its spec with edit (if not nil) and returns it.
func makeEditedBundle(t *testing.T, opts testutil.BundleOptions, edit func(*specs.Spec)) string {
	t.Helper()
	bundle := t.TempDir()
	if err := testutil.MakeBusyboxBundle(bundle, opts); err != nil {
		t.Fatalf("making bundle: %v", err)
	}
	if edit == nil {
		return bundle
	}
	spec, err := testutil.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	edit(spec)
	if err := testutil.WriteSpec(bundle, spec); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// TestRunBundle runs OCI bundles built from busybox-static.
func TestRunBundle(t *testing.T) {
	needSetup(t)
	t.Run("exit-code", func(t *testing.T) {
		r, _ := runBundle(t, testutil.BundleOptions{
			Args: []string{"/bin/sh", "-c", "echo hello from the bundle; exit 3"},
		})
		wantExit(t, r, 3)
		if r.Stdout != "hello from the bundle\n" {
			t.Errorf("stdout %q, want %q", r.Stdout, "hello from the bundle\n")
		}
	})
	t.Run("true", func(t *testing.T) {
		r, _ := runBundle(t, testutil.BundleOptions{Args: []string{"/bin/true"}})
		wantExit(t, r, 0)
	})
	t.Run("rootfs", func(t *testing.T) {
		// The root is the bundle's rootfs, not the host's: busybox
		// only, and the bundle's own /etc/passwd.
		r, _ := runBundle(t, testutil.BundleOptions{
			Args: []string{"/bin/sh", "-c", "ls /; echo ---; cat /etc/passwd"},
		})
		wantExit(t, r, 0)
		ls, passwd, ok := strings.Cut(r.Stdout, "---\n")
		if !ok {
			t.Fatalf("unexpected output %q", r.Stdout)
		}
		entries := strings.Fields(ls)
		for _, want := range []string{"bin", "etc", "proc", "dev", "tmp"} {
			if !contains(entries, want) {
				t.Errorf("ls / = %q, missing %q", entries, want)
			}
		}
		for _, host := range []string{"usr", "lib", "lib64", "home", "var", "boot"} {
			if contains(entries, host) {
				t.Errorf("ls / = %q shows the host's %q", entries, host)
			}
		}
		if !strings.Contains(passwd, "cocoon bundle user") {
			t.Errorf("/etc/passwd is not the bundle's: %q", passwd)
		}
	})
	t.Run("process-spec", func(t *testing.T) {
		// args, env, cwd and hostname come from config.json; the
		// container's init is PID 1 of its own PID namespace.
		r, _ := runBundle(t, testutil.BundleOptions{
			Args:     []string{"/bin/sh", "-c", `echo "pid=$$ cwd=$(pwd) env=$COCOON_E2E host=$(hostname) args=$0"`, "arg-zero"},
			Env:      []string{"PATH=/bin", "COCOON_E2E=yes please"},
			Cwd:      "/etc",
			Hostname: "cocoon-e2e",
		})
		wantExit(t, r, 0)
		if want := "pid=1 cwd=/etc env=yes please host=cocoon-e2e args=arg-zero\n"; r.Stdout != want {
			t.Errorf("stdout %q, want %q", r.Stdout, want)
		}
	})
	t.Run("mounts", func(t *testing.T) {
		r, _ := runBundle(t, testutil.BundleOptions{
			Args: []string{"/bin/sh", "-c", strings.Join([]string{
				`grep -q "^Pid:[[:space:]]*1$" /proc/1/status && echo proc ok`,
				`echo data > /tmp/x && cat /tmp/x`,
				`echo discarded > /dev/null && echo null ok`,
				`head -c 4 /dev/zero | od -An -tx1`,
			}, "; ")},
		})
		wantExit(t, r, 0)
		if want := "proc ok\ndata\nnull ok\n 00 00 00 00\n"; r.Stdout != want {
			t.Errorf("stdout %q, want %q (stderr %q)", r.Stdout, want, r.Stderr)
		}
	})
	t.Run("rootfs-writes-stay-in-memory", func(t *testing.T) {
		r, bundle := runBundle(t, testutil.BundleOptions{
			Args: []string{"/bin/sh", "-c", "echo x > /etc/created && echo y >> /etc/passwd && rm /bin/true && cat /etc/created"},
		})
		wantExit(t, r, 0)
		if r.Stdout != "x\n" {
			t.Errorf("stdout %q, want %q", r.Stdout, "x\n")
		}
		rootfs := filepath.Join(bundle, "rootfs")
		if _, err := os.Stat(filepath.Join(rootfs, "etc/created")); !os.IsNotExist(err) {
			t.Errorf("a file created in the container appeared in the bundle (%v)", err)
		}
		if b, _ := os.ReadFile(filepath.Join(rootfs, "etc/passwd")); strings.Contains(string(b), "y\n") {
			t.Errorf("the bundle's /etc/passwd was changed: %q", b)
		}
		if _, err := os.Lstat(filepath.Join(rootfs, "bin/true")); err != nil {
			t.Errorf("a file removed in the container vanished from the bundle: %v", err)
		}
	})
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
